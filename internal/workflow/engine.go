package workflow

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/errs"
	"dibao/internal/money"
	"dibao/internal/region"
)

// Messages of the engine's own refusals; exported so that callers and tests
// match them without copying the text.
const (
	MsgUnknown = "未知的操作"
	MsgState   = "当前状态不能执行此操作"
	MsgRole    = "您的角色不能执行此操作"
	MsgRecusal = "您与申请家庭存在近亲属关系，须回避"
	MsgReason  = "请填写原因"
)

// maxText bounds free text so a pasted document cannot bloat the history.
const maxText = 4000

// Option is one action a person may see on a case now.
type Option struct {
	Transition Transition `json:"transition"`
	Enabled    bool       `json:"enabled"`
	Reason     string     `json:"reason,omitempty"`  // why it is disabled, Chinese
	Warning    string     `json:"warning,omitempty"` // shown but not blocking (certification_gate warn)
}

// Available returns the transitions from state that this person's roles
// and region level allow, in definition order, each enabled or disabled
// with the reason, so the UI can show a greyed button that explains
// itself. Transitions of other roles or levels are not listed: they are
// not this person's buttons. The record fields are not checked, since the
// form is not filled in yet.
func Available(d Definition, state string, p authz.Principal, actingLevel region.Level, f Facts) []Option {
	var out []Option
	for _, t := range d.From(state) {
		if allowed(t, p, actingLevel) != nil {
			continue
		}
		o := Option{Transition: t, Enabled: true}
		var reasons []string
		for _, err := range blockers(t, p, f) {
			reasons = append(reasons, errs.As(err).Message)
		}
		if len(reasons) > 0 {
			o.Enabled, o.Reason = false, strings.Join(reasons, "；")
		}
		o.Warning, _ = Certification(t, f)
		out = append(out, o)
	}
	return out
}

// Check decides whether p, acting at actingLevel, may take transition id
// on a case in state with facts f, including the submitted record fields
// and reason in f.Input. It returns the transition, or an error whose
// Chinese message says why not: Conflict when the state does not allow it
// (usually someone else moved the case first), Forbidden for role, level,
// recusal or certification, Invalid for guards and input — the guard and
// input errors all at once as an errs.List. Under certification_gate warn
// it passes; call Certification for the warning to show and audit.
func Check(d Definition, state, id string, p authz.Principal, actingLevel region.Level, f Facts) (Transition, error) {
	t, ok := d.Transition(id)
	if !ok {
		return Transition{}, errs.Invalidf("transition", "%s：%s", MsgUnknown, id)
	}
	if !d.Applies(t, state) {
		return t, errs.New(errs.Conflict, "", MsgState)
	}
	if err := allowed(t, p, actingLevel); err != nil {
		return t, err
	}
	var list errs.List
	for _, err := range blockers(t, p, f) {
		e := errs.As(err)
		if e.Code == errs.Forbidden {
			return t, e
		}
		list = append(list, e)
	}
	if _, err := ParseRecord(t, f); err != nil {
		list = append(list, asList(err)...)
	}
	return t, list.Err()
}

// allowed checks role and region level: who may take t at all.
func allowed(t Transition, p authz.Principal, level region.Level) error {
	if !slices.ContainsFunc(t.Roles, p.Has) {
		return errs.New(errs.Forbidden, "", MsgRole)
	}
	if level != t.Level {
		return errs.New(errs.Forbidden, "", fmt.Sprintf("此操作须由%s级工作人员办理", t.Level.Label()))
	}
	return nil
}

// blockers returns, in order, recusal, an enforced certification and every
// failing guard.
func blockers(t Transition, p authz.Principal, f Facts) []error {
	var out []error
	if p.UserID != 0 && slices.Contains(f.RelativeStaff, p.UserID) {
		out = append(out, errs.New(errs.Forbidden, "", MsgRecusal))
	}
	if _, err := Certification(t, f); err != nil {
		out = append(out, err)
	}
	for _, g := range t.Guards {
		guard := Guards[g]
		if guard == nil { // Validate refuses this; never let it pass silently
			out = append(out, errs.Invalidf("", "未知的检查条件：%s", g))
			continue
		}
		if err := guard(f); err != nil {
			out = append(out, err)
		}
	}
	return out
}

// Certification applies the certification_gate policy to t for the actor
// described by f: under enforce a missing certification is a Forbidden
// error, under warn it is a warning to show and audit, under off nothing.
func Certification(t Transition, f Facts) (warning string, err error) {
	if t.Certification == "" || f.Params.CertificationGate == GateOff || slices.Contains(f.Certified, t.Certification) {
		return "", nil
	}
	post := Certifications[t.Certification]
	if f.Params.CertificationGate == GateEnforce {
		return "", errs.New(errs.Forbidden, "", fmt.Sprintf("您未取得有效的“%s”岗位认证，不能办理此事项", post))
	}
	return fmt.Sprintf("您的“%s”岗位认证缺失或已过期，请尽快参加培训", post), nil
}

// ParseRecord checks f.Input against t's fields and reason and returns the
// typed values to store: text, select and date as string (dates
// normalised to YYYY-MM-DD), bool as bool, number as int64, money as
// money.Fen, staff-list as []int64 without duplicates. Every problem is
// reported at once (errs.List, one entry per field). Unknown input keys
// are ignored, so a form may carry its own hidden fields.
func ParseRecord(t Transition, f Facts) (map[string]any, error) {
	var list errs.List
	out := map[string]any{}
	for _, fd := range t.Records {
		raw := trimmed(f.Input.Values[fd.Name])
		if len(raw) == 0 {
			if fd.Required {
				if fd.Kind == KindBool {
					list.Add(fd.Name, "请确认%s", fd.Label)
				} else {
					list.Add(fd.Name, "请填写%s", fd.Label)
				}
			}
			continue
		}
		v, msg := parseValue(fd, raw, f)
		if msg != "" {
			list.Add(fd.Name, "%s", msg)
			continue
		}
		out[fd.Name] = v
	}
	if t.RequiresReason {
		r := strings.TrimSpace(f.Input.Reason)
		switch {
		case r == "":
			list.Add("reason", "%s", MsgReason)
		case utf8.RuneCountInString(r) > maxText:
			list.Add("reason", "原因不能超过 %d 字", maxText)
		}
	}
	if err := list.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func parseValue(fd Field, raw []string, f Facts) (any, string) {
	if fd.Kind != KindStaffList && len(raw) > 1 {
		return nil, fmt.Sprintf("%s只能填写一项", fd.Label)
	}
	s := raw[0]
	switch fd.Kind {
	case KindText:
		if utf8.RuneCountInString(s) > maxText {
			return nil, fmt.Sprintf("%s不能超过 %d 字", fd.Label, maxText)
		}
		return s, ""
	case KindDate:
		d, err := time.ParseInLocation(time.DateOnly, s, calendar.Location())
		if err != nil {
			return nil, fmt.Sprintf("%s不是有效日期（格式如 2026-09-28）", fd.Label)
		}
		// Every recorded date is of something that has happened.
		if !f.Today.IsZero() && d.After(calendar.DayOf(f.Today)) {
			return nil, fmt.Sprintf("%s不能晚于今天", fd.Label)
		}
		return d.Format(time.DateOnly), ""
	case KindBool:
		// A required bool is a checkbox that must be ticked ("已填写调查表");
		// an unticked checkbox sends nothing, so "no" never satisfies it.
		switch strings.ToLower(s) {
		case "true", "on", "1", "yes", "是":
			return true, ""
		case "false", "off", "0", "no", "否":
			if fd.Required {
				return nil, fmt.Sprintf("请确认%s", fd.Label)
			}
			return false, ""
		}
		return nil, fmt.Sprintf("%s的取值无效", fd.Label)
	case KindSelect:
		if !slices.ContainsFunc(fd.Options, func(c Choice) bool { return c.Value == s }) {
			return nil, fmt.Sprintf("%s的选项无效", fd.Label)
		}
		return s, ""
	case KindNumber:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 || n > 1_000_000 {
			return nil, fmt.Sprintf("%s应为非负整数", fd.Label)
		}
		return n, ""
	case KindMoney:
		v, err := money.Parse(s)
		if err != nil {
			return nil, fmt.Sprintf("%s：%s", fd.Label, errs.As(err).Message)
		}
		return v, ""
	case KindStaffList:
		var ids []int64
		for _, r := range raw {
			id, err := strconv.ParseInt(r, 10, 64)
			if err != nil || id <= 0 {
				return nil, fmt.Sprintf("%s中有无效的人员编号", fd.Label)
			}
			if slices.Contains(f.RelativeStaff, id) {
				return nil, fmt.Sprintf("%s中有申请家庭的近亲属，须回避", fd.Label)
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		if fd.MinParam != "" {
			if n, _ := f.Params.Int(fd.MinParam); len(ids) < n {
				return nil, fmt.Sprintf("%s不足 %d 人", fd.Label, n)
			}
		}
		return ids, ""
	}
	return nil, fmt.Sprintf("%s的类型未知", fd.Label)
}

// trimmed drops blank entries so an empty form input counts as missing.
func trimmed(vs []string) []string {
	var out []string
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func asList(err error) errs.List {
	if l, ok := err.(errs.List); ok {
		return l
	}
	return errs.List{errs.As(err)}
}
