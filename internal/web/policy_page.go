package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/money"
	"dibao/internal/policy"
	"dibao/internal/region"
)

// The policy pages (SPEC §4): the parameters in force for a region on a
// date, and per parameter its definition, its versions and a form to
// schedule a new one. Reading is open to the county administrator, the
// system administrator and the county approver; who may write what is
// decided by the policy service, and the form is only offered to those it
// would accept.

// msgPolicyView refuses the other roles.
const msgPolicyView = "只有县级业务管理员、系统管理员和县级审批人可以查看政策参数"

// msgPolicyNote asks for the reason of a change; every version carries one.
const msgPolicyNote = "请填写调整说明（依据的文件或调整原因）"

// maxPolicyNote bounds the note as the store does (runes).
const maxPolicyNote = 500

// canViewPolicy reports whether p may read the policy pages.
func canViewPolicy(p authz.Principal) bool {
	return policy.CanView(p)
}

// canSetSome reports whether p may set d at some level, for the link text.
func canSetSome(p authz.Principal, d policy.Def) bool {
	if d.Group == policy.GroupSystem {
		return p.Has(authz.SystemAdmin)
	}
	return p.Has(authz.CountyAdmin)
}

// policyRegion reads the region of a policy page: raw, or the caller's own
// county or township when raw is empty. It must exist and lie within the
// caller's scope.
func (s *server) policyRegion(ctx context.Context, p authz.Principal, raw string) (region.Code, string, error) {
	var c region.Code
	if strings.TrimSpace(raw) == "" {
		c = p.Region
		if c.Level() == region.Village {
			c = c.Township()
		}
		if c == "" {
			return "", "", errs.New(errs.Forbidden, "", "您的账号未设置所属区划，请联系安全管理员")
		}
	} else {
		var err error
		if c, err = region.Parse(raw); err != nil {
			return "", "", errs.New(errs.Invalid, "region", errs.As(err).Message)
		}
	}
	if !p.Scope().Contains(c) {
		return "", "", errs.New(errs.Forbidden, "region", "所选地区不在您的管辖范围内")
	}
	reg, err := s.a.DB.Region(ctx, c)
	if err != nil {
		return "", "", err
	}
	return c, reg.Name, nil
}

// policyRegionOptions lists the county and townships within the caller's
// scope for the region selector.
func (s *server) policyRegionOptions(ctx context.Context, p authz.Principal, sel region.Code) ([]regionOption, error) {
	rs, err := s.a.DB.Regions(ctx, p.Scope())
	if err != nil {
		return nil, err
	}
	var out []regionOption
	for _, rg := range rs {
		if rg.Level != region.County && rg.Level != region.Township {
			continue
		}
		indent := strings.Repeat("　", max(int(rg.Level)-1, 0))
		out = append(out, regionOption{Code: string(rg.Code), Label: indent + rg.Name, Selected: rg.Code == sel})
	}
	return out, nil
}

// policyHref is the page of one parameter for a region.
func policyHref(name string, r region.Code) string {
	return "/policy/" + url.PathEscape(name) + "?region=" + url.QueryEscape(string(r))
}

// levelsLabel names the levels that may set a parameter: "县/区、乡镇/街道".
func levelsLabel(d policy.Def) string {
	out := make([]string, len(d.Levels))
	for i, l := range d.Levels {
		out[i] = l.Label()
	}
	return strings.Join(out, "、")
}

// versionLabel describes a version for screens: "默认值", or the region
// and date it was set for.
func versionLabel(v string, names map[region.Code]string) string {
	if v == policy.DefaultVersion {
		return "默认值"
	}
	ref, err := policy.ParseVersion(v)
	if err != nil {
		return v
	}
	n := names[ref.Region]
	if n == "" {
		n = string(ref.Region)
	}
	return n + " · " + ref.EffectiveFrom + " 起"
}

// scaled prints n / 10^scale with exactly scale places.
func scaled(n int64, scale int) string {
	s := strconv.FormatInt(n, 10)
	if scale == 0 {
		return s
	}
	for len(s) <= scale {
		s = "0" + s
	}
	return s[:len(s)-scale] + "." + s[len(s)-scale:]
}

// rangeLabel is the allowed range or choices of a parameter in Chinese.
func rangeLabel(d policy.Def) string {
	unit := ""
	if d.Unit != "" {
		unit = " " + d.Unit
	}
	switch d.Kind {
	case policy.Int:
		return fmt.Sprintf("%d 至 %d%s，整数", d.Min, d.Max, unit)
	case policy.Decimal:
		return fmt.Sprintf("%s 至 %s%s，最多 %d 位小数（可填百分数，如 30%%）", scaled(d.Min, d.Scale),
			scaled(d.Max, d.Scale), unit, d.Scale)
	case policy.Money:
		return fmt.Sprintf("%s 至 %s 元", money.Fen(d.Min).Yuan(), money.Fen(d.Max).Yuan())
	case policy.Enum:
		ls := make([]string, len(d.Choices))
		for i, c := range d.Choices {
			ls[i] = c.Label
		}
		return "可选：" + strings.Join(ls, "、")
	case policy.List:
		ls := make([]string, len(d.Choices))
		for i, c := range d.Choices {
			ls[i] = c.Code + "=" + c.Label
		}
		return "按顺序填写，以逗号分隔：" + strings.Join(ls, "、")
	case policy.Bool:
		return "是 / 否"
	}
	return ""
}

// ---- parameter list ----

// policyRow is one resolved parameter in the list.
type policyRow struct {
	Name         string
	Label        string
	Value        string // formatted with unit
	Source       string
	Basis        string
	Version      string // version id, "" for the default
	VersionLabel string // "默认值" or "平安县 · 2026-04-01 起"
	Default      bool
	Levels       string
	Href         string
	CanSet       bool
}

// policyGroupView is the parameters of one group.
type policyGroupView struct {
	Name string
	Rows []policyRow
}

// policyListPage is GET /policy.
type policyListPage struct {
	Regions    []regionOption
	Region     string
	RegionName string
	Date       string
	DateErr    string
	Today      string
	Future     bool
	Past       bool
	Groups     []policyGroupView
}

func (s *server) policyList(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if !canViewPolicy(p) {
		return errs.New(errs.Forbidden, "", msgPolicyView)
	}
	q := r.URL.Query()
	rc, rname, err := s.policyRegion(r.Context(), p, q.Get("region"))
	if err != nil {
		return err
	}
	today := policy.DateOf(s.a.DB.Now())
	pg := policyListPage{Region: string(rc), RegionName: rname, Today: today, Date: strings.TrimSpace(q.Get("date"))}
	if pg.Regions, err = s.policyRegionOptions(r.Context(), p, rc); err != nil {
		return err
	}
	if pg.Date == "" {
		pg.Date = today
	}
	status := http.StatusOK
	on, derr := policy.ParseDate(pg.Date)
	if derr != nil {
		pg.DateErr = "日期格式应为 YYYY-MM-DD（2000 至 2099 年）"
		if len(pg.Date) > 20 {
			pg.Date = ""
		}
		status = http.StatusUnprocessableEntity
	} else {
		pg.Date = policy.DateOf(on)
		pg.Future, pg.Past = pg.Date > today, pg.Date < today
		set, err := policy.Resolve(r.Context(), s.a.DB, rc, on)
		if err != nil {
			return err
		}
		names, err := s.a.DB.RegionNames(r.Context())
		if err != nil {
			return err
		}
		idx := map[policy.Group]int{}
		for _, g := range policy.Groups {
			idx[g] = len(pg.Groups)
			pg.Groups = append(pg.Groups, policyGroupView{Name: string(g)})
		}
		for _, x := range set.All() {
			row := policyRow{Name: x.Def.Name, Label: x.Def.Label, Value: x.Def.Format(x.Value),
				Source: x.Def.Source.Label(), Basis: x.Def.Basis, VersionLabel: versionLabel(x.Version, names),
				Default: x.Version == policy.DefaultVersion, Levels: levelsLabel(x.Def), Href: policyHref(x.Def.Name, rc),
				CanSet: canSetSome(p, x.Def)}
			if !row.Default {
				row.Version = x.Version
			}
			if row.Basis == row.Source {
				row.Basis = "" // "地方规定" twice says nothing more
			}
			i, ok := idx[x.Def.Group]
			if !ok {
				i = len(pg.Groups)
				idx[x.Def.Group] = i
				pg.Groups = append(pg.Groups, policyGroupView{Name: string(x.Def.Group)})
			}
			pg.Groups[i].Rows = append(pg.Groups[i].Rows, row)
		}
		pg.Groups = slices.DeleteFunc(pg.Groups, func(g policyGroupView) bool { return len(g.Rows) == 0 })
	}
	s.render(w, r, p, status, "policy", "政策参数", []crumb{{Label: "政策参数", Href: "/policy"}, {Label: "参数一览"}}, pg)
	return nil
}

// ---- one parameter ----

// policyForm is the new-version form as submitted.
type policyForm struct {
	Value         string
	EffectiveFrom string
	Note          string
}

// policyOption is one choice of an Enum or Bool parameter's select.
type policyOption struct {
	Code     string
	Label    string
	Selected bool
}

// policyHistRow is one stored version in the history table.
type policyHistRow struct {
	ID            int64
	Version       string
	Region        string
	Value         string
	EffectiveFrom string
	Note          string
	Who           string
	When          string
	InForce       bool // supplies today's value for the page's region
	Pending       bool // takes effect after today
	Superseded    bool // corrected by a later row
	Corrects      int64
}

// policyDetailPage is GET /policy/{name}.
type policyDetailPage struct {
	Name         string
	Label        string
	Group        string
	Basis        string
	Source       string
	Kind         string // "select", "list" (a comma list) or "text"
	Range        string
	Unit         string
	Levels       string
	Region       string
	RegionName   string
	Regions      []regionOption
	Current      string
	VersionLabel string
	Version      string
	History      []policyHistRow
	CanSet       bool
	Denied       string // why the form is not offered
	CountyHref   string // the county page, when only the county may set it
	F            policyForm
	Options      []policyOption
	Err          map[string]string
	Summary      []string
	Today        string
}

func (s *server) policyDef(r *http.Request, p authz.Principal) (policy.Def, error) {
	if !canViewPolicy(p) {
		return policy.Def{}, errs.New(errs.Forbidden, "", msgPolicyView)
	}
	d, ok := policy.Lookup(r.PathValue("name"))
	if !ok {
		return policy.Def{}, errs.New(errs.NotFound, "", "政策参数不存在")
	}
	return d, nil
}

// renderPolicyDetail shows a parameter for region rc; f is the form as
// submitted (nil for a fresh form) and ferr what the service refused.
func (s *server) renderPolicyDetail(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, d policy.Def,
	rc region.Code, rname string, f *policyForm, ferr error) error {
	ctx := r.Context()
	now := s.a.DB.Now()
	today := policy.DateOf(now)
	set, err := policy.Resolve(ctx, s.a.DB, rc, now)
	if err != nil {
		return err
	}
	hist, err := policy.History(ctx, s.a.DB, rc, d.Name)
	if err != nil {
		return err
	}
	names, err := s.a.DB.RegionNames(ctx)
	if err != nil {
		return err
	}
	var cur policy.Resolved
	for _, x := range set.All() {
		if x.Def.Name == d.Name {
			cur = x
		}
	}
	pg := policyDetailPage{Name: d.Name, Label: d.Label, Group: string(d.Group), Basis: d.Basis, Source: d.Source.Label(),
		Kind: "text", Range: rangeLabel(d), Unit: d.Unit, Levels: levelsLabel(d), Region: string(rc), RegionName: rname,
		Current: d.Format(cur.Value), VersionLabel: versionLabel(cur.Version, names), Today: today,
		Err: map[string]string{}}
	if cur.Version != policy.DefaultVersion {
		pg.Version = cur.Version
	}
	if pg.Regions, err = s.policyRegionOptions(ctx, p, rc); err != nil {
		return err
	}
	for i := len(hist) - 1; i >= 0; i-- {
		h := hist[i]
		who := h.CreatedByName
		if who == "" {
			who = "系统"
		}
		rn := names[h.Region]
		if rn == "" {
			rn = string(h.Region)
		}
		pg.History = append(pg.History, policyHistRow{ID: h.ID, Version: h.Version, Region: rn, Value: h.Display,
			EffectiveFrom: h.EffectiveFrom, Note: h.Note, Who: who, When: localTime(h.CreatedAt),
			InForce: h.Version == cur.Version, Pending: h.EffectiveFrom > today && !h.Superseded,
			Superseded: h.Superseded, Corrects: h.Corrects})
	}
	if err := policy.CanSet(p, d, rc); err != nil {
		pg.Denied = errs.As(err).Message
	}
	pg.CanSet = pg.Denied == ""
	if !pg.CanSet && rc.Level() == region.Township && !d.Overridable(region.Township) && p.Scope().Contains(rc.County()) {
		pg.CountyHref = policyHref(d.Name, rc.County())
	}
	if f == nil {
		f = &policyForm{Value: cur.Value.String(), EffectiveFrom: today}
	}
	pg.F = *f
	switch d.Kind {
	case policy.Enum:
		pg.Kind = "select"
		for _, c := range d.Choices {
			pg.Options = append(pg.Options, policyOption{Code: c.Code, Label: c.Label, Selected: c.Code == f.Value})
		}
	case policy.List:
		pg.Kind = "list"
	case policy.Bool:
		pg.Kind = "select"
		pg.Options = []policyOption{{Code: "true", Label: "是", Selected: f.Value == "true"},
			{Code: "false", Label: "否", Selected: f.Value == "false"}}
	}
	if ferr != nil {
		pg.Err, pg.Summary = fieldErrors(ferr)
	}
	s.render(w, r, p, status, "policy_param", d.Label,
		[]crumb{{Label: "政策参数", Href: "/policy?region=" + url.QueryEscape(string(rc))}, {Label: d.Label}}, pg)
	return nil
}

func (s *server) policyDetail(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	d, err := s.policyDef(r, p)
	if err != nil {
		return err
	}
	rc, rname, err := s.policyRegion(r.Context(), p, r.URL.Query().Get("region"))
	if err != nil {
		return err
	}
	return s.renderPolicyDetail(w, r, p, http.StatusOK, d, rc, rname, nil, nil)
}

// checkPolicyForm collects every problem of a submitted version that can be
// seen without the stored versions, so the form shows them all at once; the
// service checks them again, and the rules that tie parameters together.
func checkPolicyForm(name string, f policyForm, today string) error {
	var l errs.List
	if _, err := policy.Parse(name, f.Value); err != nil {
		l = append(l, errs.As(err))
	}
	if on, err := policy.ParseDate(f.EffectiveFrom); err != nil {
		l = append(l, errs.As(err))
	} else if policy.DateOf(on) < today {
		l = append(l, errs.New(errs.Invalid, "effective_from", policy.MsgBackdated))
	}
	switch n := len([]rune(strings.TrimSpace(f.Note))); {
	case n == 0:
		l = append(l, errs.New(errs.Invalid, "note", msgPolicyNote))
	case n > maxPolicyNote:
		l.Add("note", "调整说明不能超过 %d 字", maxPolicyNote)
	}
	return l.Err()
}

func (s *server) policySet(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	d, err := s.policyDef(r, p)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	rc, rname, err := s.policyRegion(r.Context(), p, r.PostForm.Get("region_code"))
	if err != nil {
		return err
	}
	if err := policy.CanSet(p, d, rc); err != nil {
		return err
	}
	f := policyForm{Value: r.PostForm.Get("value"), EffectiveFrom: strings.TrimSpace(r.PostForm.Get("effective_from")),
		Note: r.PostForm.Get("note")}
	err = checkPolicyForm(d.Name, f, policy.DateOf(s.a.DB.Now()))
	if err == nil {
		var warn error
		warn, err = s.a.Training.SetPolicyValue(r.Context(), p, rc, d.Name, f.Value, f.EffectiveFrom, f.Note)
		if warn != nil {
			s.a.Log.Error("policy-update training items", "request_id", reqIDOf(r), "err", warn)
		}
	}
	if err != nil {
		if formFailure(err) {
			return s.renderPolicyDetail(w, r, p, statusOf(err, true), d, rc, rname, &f, err)
		}
		return err
	}
	s.redirect(w, r, policyHref(d.Name, rc), "policy_set")
	return nil
}
