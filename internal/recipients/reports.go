package recipients

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/errs"
	"dibao/internal/region"
	"dibao/internal/roster"
	"dibao/internal/store"
	"dibao/internal/workflow"
)

// TaskChangeReport is the review-task kind a forwarded change report
// creates (review_tasks.kind).
const TaskChangeReport = "change_report"

// maxReportText bounds the report's detail.
const maxReportText = 2000

// NewReport is what the village clerk reports.
type NewReport struct {
	HouseholdID int64
	Kind        string // a workflow.ChangeReportKinds value
	Detail      string
	ChangedOn   string // YYYY-MM-DD
	// IdempotencyKey makes a retried submission safe: the first report is
	// returned instead of a second one.
	IdempotencyKey string
}

// ReportAction is one request to move a change report.
type ReportAction struct {
	ReportID       int64
	Version        int64 // the version the actor saw; a stale one is a conflict
	Transition     string
	Input          workflow.Input
	IdempotencyKey string
}

// ReportOutcome is what a report or an action produced.
type ReportOutcome struct {
	Report   store.ChangeReport
	Event    store.ReportEvent
	Task     int64 // the review task a forward created or joined
	Joined   bool  // the household already had an undecided change-report task: the report was added to it
	Replayed bool  // the idempotency key had been used: nothing was done now

	Warning string // e.g. a certification warning under the "warn" gate
}

// ReportView is a report with everything its page shows.
type ReportView struct {
	Report     store.ChangeReport
	Events     []store.ReportEvent
	Definition workflow.Definition
	State      workflow.State
	Options    []workflow.Option
	Recused    bool // the viewer is registered as a close relative of the household
}

func reportObj(id int64) string { return "change_report:" + strconv.FormatInt(id, 10) }

// replay returns the stored outcome of an idempotency key used for path,
// found false if the key is new.
func (s *Service) replay(ctx context.Context, p authz.Principal, key, path string, out any) (found bool, err error) {
	if key == "" {
		return false, nil
	}
	if len(key) > 100 {
		return false, errs.Invalidf("Idempotency-Key", "幂等键过长（最多100个字符）")
	}
	prev, ok, err := s.DB.IdempotentGet(ctx, p.UserID, key)
	if err != nil || !ok {
		return false, err
	}
	if prev.Path != path {
		return false, errs.New(errs.Conflict, "Idempotency-Key", "该幂等键已用于另一项操作")
	}
	if err := json.Unmarshal([]byte(prev.Body), out); err != nil {
		return false, errs.Wrap(err, "读取幂等记录失败")
	}
	return true, nil
}

// relativeStaff returns the staff who must not act on a recipient
// household (近亲属回避): those recorded as relatives on any of its cases
// (declared or matched at intake) and any staff account whose ID number in
// the staff register is a member's now. Reviews, change reports and spot
// checks all use it.
func (s *Service) relativeStaff(ctx context.Context, tx *store.Tx, householdID int64) ([]int64, error) {
	ids, err := tx.HouseholdRelativeStaff(ctx, householdID)
	if err != nil {
		return nil, err
	}
	h, err := tx.Household(ctx, householdID)
	if err != nil {
		return nil, err
	}
	for _, m := range h.Members {
		if m.IDNumber == "" {
			continue
		}
		uid, _, _, err := tx.StaffByIDIndex(ctx, s.DB.IDIndex(m.IDNumber))
		if err != nil {
			return nil, err
		}
		if uid != 0 && !slices.Contains(ids, uid) {
			ids = append(ids, uid)
		}
	}
	return ids, nil
}

// parseReport checks the clerk's input, all problems at once.
func parseReport(in NewReport, today time.Time) (NewReport, error) {
	var list errs.List
	in.Kind, in.Detail, in.ChangedOn = strings.TrimSpace(in.Kind), strings.TrimSpace(in.Detail), strings.TrimSpace(in.ChangedOn)
	if in.HouseholdID <= 0 {
		list.Add("household_id", "请选择报告变化的保障家庭")
	}
	if !slices.ContainsFunc(workflow.ChangeReportKinds, func(c workflow.Choice) bool { return c.Value == in.Kind }) {
		list.Add("kind", "请选择变化类型")
	}
	switch {
	case in.Detail == "":
		list.Add("detail", "请填写变化的具体情况")
	case utf8.RuneCountInString(in.Detail) > maxReportText:
		list.Add("detail", "具体情况不能超过 %d 字", maxReportText)
	}
	if in.ChangedOn == "" {
		list.Add("changed_on", "请填写变化发生日期")
	} else if d, err := time.ParseInLocation(time.DateOnly, in.ChangedOn, calendar.Location()); err != nil {
		list.Add("changed_on", "变化发生日期不是有效日期（格式如 2026-09-28）")
	} else if d.After(today) {
		list.Add("changed_on", "变化发生日期不能晚于今天")
	}
	return in, list.Err()
}

// Report records a change of a recipient household reported by the village
// clerk of its village (the report starts in workflow.ChangeReport's
// initial state, awaiting the township's verification). The household must
// be a current recipient; the clerk must not be registered as its close
// relative. Report, first history entry and audit are one transaction.
func (s *Service) Report(ctx context.Context, p authz.Principal, in NewReport) (ReportOutcome, error) {
	if !p.Has(authz.VillageClerk) || p.Region.Level() != region.Village {
		return ReportOutcome{}, forbidden("只有村（社区）经办人可以报告保障对象的变化情况")
	}
	path := "change_report:new"
	var out ReportOutcome
	if ok, err := s.replay(ctx, p, in.IdempotencyKey, path, &out); err != nil || ok {
		out.Replayed = ok
		return out, err
	}
	today := s.today()
	in, err := parseReport(in, today)
	if err != nil {
		return ReportOutcome{}, err
	}
	def := workflow.ChangeReport()
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		e, err := tx.RecipientForUpdate(ctx, p.Scope(), in.HouseholdID)
		if err != nil {
			return err
		}
		if e.Status == string(roster.StatusStopped) {
			return errs.Invalidf("household_id", "该户已停保，不是在保对象，无需报告变化")
		}
		rel, err := s.relativeStaff(ctx, tx, e.HouseholdID)
		if err != nil {
			return err
		}
		if slices.Contains(rel, p.UserID) {
			return errs.New(errs.Forbidden, "", workflow.MsgRecusal)
		}
		r := store.ChangeReport{HouseholdID: e.HouseholdID, Region: e.Region, Kind: in.Kind, Detail: in.Detail,
			ChangedOn: in.ChangedOn, State: def.Initial, HeadName: e.HeadName}
		if err := tx.CreateChangeReport(ctx, &r); err != nil {
			return err
		}
		data, _ := json.Marshal(map[string]string{"kind": in.Kind, "detail": in.Detail, "changed_on": in.ChangedOn})
		ev := store.ReportEvent{ReportID: r.ID, Transition: "report", To: r.State, Data: string(data)}
		if err := tx.AppendReportEvent(ctx, &ev); err != nil {
			return err
		}
		if err := tx.Audit(ctx, store.Entry{Action: "change_report.report", Object: reportObj(r.ID),
			Detail: fmt.Sprintf("household:%d %s 变化日期%s", r.HouseholdID, workflow.ChangeReportKindLabel(r.Kind), r.ChangedOn)}); err != nil {
			return err
		}
		out = ReportOutcome{Report: r, Event: ev}
		return s.remember(ctx, tx, in.IdempotencyKey, path, out)
	})
	if err != nil {
		return ReportOutcome{}, err
	}
	return out, nil
}

// remember stores the outcome under the idempotency key inside the change's
// transaction.
func (s *Service) remember(ctx context.Context, tx *store.Tx, key, path string, out any) error {
	if key == "" {
		return nil
	}
	body, err := json.Marshal(out)
	if err != nil {
		return errs.Wrap(err, "保存幂等记录失败")
	}
	return tx.IdempotentPut(ctx, key, store.IdempotentReply{Method: "POST", Path: path, Status: 200, Body: string(body)})
}

func staleReport() error {
	return errs.New(errs.Conflict, "version", "该报告已被他人处理，请刷新页面查看最新状态后再操作")
}

// ActOnReport takes one workflow.ChangeReport transition: the engine
// decides (role, region level, recusal, state, record fields and reason);
// a verification records its finding; forwarding creates the household's
// review task of kind change_report (or joins its undecided one) in the
// same transaction. The report's version must be the one the actor saw;
// the idempotency key makes a retry safe. A refusal writes nothing.
func (s *Service) ActOnReport(ctx context.Context, p authz.Principal, a ReportAction) (ReportOutcome, error) {
	path := "change_report:" + strconv.FormatInt(a.ReportID, 10) + ":" + a.Transition
	var out ReportOutcome
	if ok, err := s.replay(ctx, p, a.IdempotencyKey, path, &out); err != nil || ok {
		out.Replayed = ok
		return out, err
	}
	def := workflow.ChangeReport()
	today := s.today()
	certs, err := s.certified(ctx, p)
	if err != nil {
		return ReportOutcome{}, err
	}
	// The report's county's rules are read before the write transaction:
	// a writer reading on the pool can wait forever for a connection on
	// PostgreSQL (store.Tx.UserByID). A report already moved on is refused
	// here.
	r0, err := s.DB.ChangeReport(ctx, p.Scope(), a.ReportID)
	if err != nil {
		return ReportOutcome{}, err
	}
	if r0.Version != a.Version {
		return ReportOutcome{}, staleReport()
	}
	params, err := s.gateParams(ctx, def, r0.Region)
	if err != nil {
		return ReportOutcome{}, err
	}
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		r, err := tx.ChangeReportForUpdate(ctx, p.Scope(), a.ReportID)
		if err != nil {
			return err
		}
		if r.Version != a.Version || r.Region.County() != r0.Region.County() {
			return staleReport()
		}
		rel, err := s.relativeStaff(ctx, tx, r.HouseholdID)
		if err != nil {
			return err
		}
		f := workflow.Facts{Today: today, Params: params, Input: a.Input, RelativeStaff: rel, Certified: certs}
		t, err := workflow.Check(def, r.State, a.Transition, p, p.Region.Level(), f)
		if err != nil {
			return err
		}
		rec, err := workflow.ParseRecord(t, f)
		if err != nil {
			return err
		}
		warning, err := workflow.Certification(t, f)
		if err != nil {
			return err
		}
		from, readVersion := r.State, r.Version
		to := workflow.Next(t, from)
		data := map[string]any{"values": rec}
		if warning != "" {
			data["certification_warning"] = warning
		}
		switch t.ID {
		case "confirm":
			r.Finding = workflow.FindingConfirmed
		case "refute":
			r.Finding = workflow.FindingNotConfirmed
		case "forward":
			task := store.ReviewTask{HouseholdID: r.HouseholdID, Region: r.Region, Kind: TaskChangeReport,
				Due: today.AddDate(0, 1, 0).Format(time.DateOnly), Reason: reportReason(r)}
			created, err := tx.CreateReviewTask(ctx, &task)
			if err != nil {
				return err
			}
			if !created {
				if task.ID, err = tx.OpenReviewTaskID(ctx, r.HouseholdID, TaskChangeReport); err != nil {
					return err
				}
				if task.ID == 0 {
					return errs.New(errs.Conflict, "", "创建复核任务时发生冲突，请重试")
				}
				out.Joined = true
				data["joined_task"] = task.ID
			} else {
				data["task"] = task.ID
			}
			r.TaskID, out.Task = task.ID, task.ID
		}
		r.State = to
		if st, ok := def.State(to); ok {
			r.Closed = st.Terminal
		}
		raw, _ := json.Marshal(data)
		ev := store.ReportEvent{ReportID: r.ID, Transition: t.ID, From: from, To: to, Reason: strings.TrimSpace(a.Input.Reason),
			Data: string(raw)}
		if err := tx.AppendReportEvent(ctx, &ev); err != nil {
			return err
		}
		if err := tx.SaveChangeReport(ctx, &r, readVersion); err != nil {
			return err
		}
		detail := fmt.Sprintf("household:%d %s → %s", r.HouseholdID, from, to)
		if r.TaskID != 0 && t.ID == "forward" {
			detail += fmt.Sprintf(" review_task:%d", r.TaskID)
			if out.Joined {
				detail += "（并入未完成的复核任务）"
			}
		}
		if warning != "" {
			detail += " warning=" + warning
		}
		if err := tx.Audit(ctx, store.Entry{Action: "change_report." + t.ID, Object: reportObj(r.ID), Detail: detail}); err != nil {
			return err
		}
		out.Report, out.Event, out.Warning = r, ev, warning
		return s.remember(ctx, tx, a.IdempotencyKey, path, out)
	})
	if err != nil {
		return ReportOutcome{}, err
	}
	return out, nil
}

// reportReason is the review task's reason: the report itself.
func reportReason(r store.ChangeReport) string {
	return fmt.Sprintf("村级报告变化（报告%d）：%s，%s发生：%s", r.ID, workflow.ChangeReportKindLabel(r.Kind), r.ChangedOn, r.Detail)
}

// Reports lists the change reports within the principal's scope.
func (s *Service) Reports(ctx context.Context, p authz.Principal, f store.ChangeReportFilter) ([]store.ChangeReport, error) {
	if err := p.Require(authz.HouseholdView); err != nil {
		return nil, err
	}
	if f.Kind != "" && !slices.ContainsFunc(workflow.ChangeReportKinds, func(c workflow.Choice) bool { return c.Value == f.Kind }) {
		return nil, errs.Invalidf("kind", "变化类型无效")
	}
	if f.State != "" && f.State != "open" {
		if _, ok := workflow.ChangeReport().State(f.State); !ok {
			return nil, errs.Invalidf("state", "状态无效")
		}
	}
	return s.DB.ChangeReports(ctx, p.Scope(), f)
}

// GetReport returns a report within scope with its history and the
// transitions the principal may take now (each enabled or with the reason
// it is blocked).
func (s *Service) GetReport(ctx context.Context, p authz.Principal, id int64) (ReportView, error) {
	if err := p.Require(authz.HouseholdView); err != nil {
		return ReportView{}, err
	}
	def := workflow.ChangeReport()
	var v ReportView
	certs, err := s.certified(ctx, p)
	if err != nil {
		return ReportView{}, err
	}
	err = s.DB.ReadTx(ctx, p, func(tx *store.Tx) error {
		r, err := s.DB.ChangeReport(ctx, p.Scope(), id)
		if err != nil {
			return err
		}
		rel, err := s.relativeStaff(ctx, tx, r.HouseholdID)
		if err != nil {
			return err
		}
		v = ReportView{Report: r, Definition: def, Recused: slices.Contains(rel, p.UserID)}
		v.State, _ = def.State(r.State)
		params, err := s.gateParams(ctx, def, r.Region)
		if err != nil {
			return err
		}
		v.Options = workflow.Available(def, r.State, p, p.Region.Level(),
			workflow.Facts{Today: s.today(), Params: params, RelativeStaff: rel, Certified: certs})
		return nil
	})
	if err != nil {
		return ReportView{}, err
	}
	if v.Events, err = s.DB.ReportEvents(ctx, id); err != nil {
		return ReportView{}, err
	}
	return v, nil
}

// ReportableHouseholds lists the current recipients the village clerk may
// report a change for: those of the clerk's village.
func (s *Service) ReportableHouseholds(ctx context.Context, p authz.Principal) ([]store.RegisterEntry, error) {
	if !p.Has(authz.VillageClerk) || p.Region.Level() != region.Village {
		return nil, nil
	}
	return s.DB.Register(ctx, p.Scope(), store.RegisterFilter{})
}
