// Package archive is the training archive (issue 7 items 1, 2, 4; SPEC
// §3.8): a catalogue of every plan, material, session record, result set
// and feedback set, classified by period and category and kept by the
// archive custodian; content opened only through an approved, time-limited
// access request, every read logged; records removed only by the
// retention sweep, every removal audited.
package archive

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"dibao/internal/assess"
	"dibao/internal/authz"
	"dibao/internal/enroll"
	"dibao/internal/errs"
	"dibao/internal/policy"
	"dibao/internal/region"
	"dibao/internal/store"
)

// MaxDays is the longest grant.
const MaxDays = 90

// Service runs the archive over a store.
type Service struct{ DB *store.DB }

// TypeLabel is the Chinese name of a record type.
func TypeLabel(t string) string {
	switch t {
	case store.ArchivePlan:
		return "培训计划"
	case store.ArchiveMaterial:
		return "培训资料"
	case store.ArchiveSession:
		return "培训记录"
	case store.ArchiveScore:
		return "考核成绩"
	case store.ArchiveFeedback:
		return "培训反馈"
	}
	return t
}

// CategoryLabel is the Chinese name of a record's category: the plan kind,
// the material's content category, the session form, the assessment kind.
func CategoryLabel(typ, cat string) string {
	switch typ {
	case store.ArchivePlan:
		return enroll.Kind(cat).Label()
	case store.ArchiveMaterial:
		return enroll.Category(cat).Label()
	case store.ArchiveSession, store.ArchiveFeedback:
		switch cat {
		case "classroom":
			return "课堂培训"
		case "practice":
			return "现场实操"
		case "seminar":
			return "案例研讨"
		}
	case store.ArchiveScore:
		return assess.Kind(cat).Label()
	}
	return cat
}

// RetentionParam is the policy parameter holding the retention (years) of a
// record type.
func RetentionParam(t string) string {
	switch t {
	case store.ArchivePlan:
		return policy.RetainPlan
	case store.ArchiveMaterial:
		return policy.RetainMaterial
	case store.ArchiveSession:
		return policy.RetainSession
	case store.ArchiveScore:
		return policy.RetainScore
	}
	return policy.RetainFeedback
}

// CanView: who sees the catalogue (training roles, leaders, auditors).
func CanView(p authz.Principal) bool {
	return p.Has(authz.Trainer) || p.Has(authz.TrainingAdmin) || p.Has(authz.ArchiveCustodian) ||
		p.Has(authz.CountyAdmin) || p.Has(authz.Auditor)
}

// IsCustodian: who maintains the catalogue and reads without a request.
func IsCustodian(p authz.Principal) bool { return p.Has(authz.ArchiveCustodian) }

// CanDecide: who approves or refuses requests (the custodian or a leader).
func CanDecide(p authz.Principal) bool {
	return p.Has(authz.ArchiveCustodian) || p.Has(authz.CountyAdmin)
}

// CanSeeLog: who sees the read log.
func CanSeeLog(p authz.Principal) bool { return p.Has(authz.ArchiveCustodian) || p.Has(authz.Auditor) }

func isSystem(p authz.Principal) bool {
	return strings.HasPrefix(p.Username, "system:") && len(p.Roles) == 0
}

func deny(msg string) error { return errs.New(errs.Forbidden, "", msg) }

// county is the county whose retention applies to p's work: p's own, or
// for a batch principal the (first) county in the region table.
func (s *Service) county(ctx context.Context, p authz.Principal) region.Code {
	if p.Region != "" {
		return p.Region.County()
	}
	rs, err := s.DB.Regions(ctx, region.All())
	if err != nil {
		return ""
	}
	for _, r := range rs {
		if r.Level == region.County {
			return r.Code
		}
	}
	return ""
}

// counties lists every county: the sweep runs each with its own retention.
func (s *Service) counties(ctx context.Context) []region.Code {
	rs, err := s.DB.Regions(ctx, region.All())
	if err != nil {
		return nil
	}
	var out []region.Code
	for _, r := range rs {
		if r.Level == region.County {
			out = append(out, r.Code)
		}
	}
	return out
}

func (s *Service) retention(ctx context.Context, county region.Code, now time.Time) (map[string]int, error) {
	set := policy.Defaults()
	if county != "" {
		var err error
		if set, err = policy.Resolve(ctx, s.DB, county, now); err != nil {
			return nil, err
		}
	}
	out := map[string]int{}
	for _, t := range store.ArchiveTypes {
		out[t] = set.Int(RetentionParam(t))
	}
	return out, nil
}

// expired reports whether a record from at is past retention of years on now.
func expired(at time.Time, years int, now time.Time) bool {
	return !at.IsZero() && !at.AddDate(years, 0, 0).After(now)
}

// Catalogue brings the catalogue up to date with the source tables: every
// source not yet listed (and not past retention) is added; listed entries
// are left as they are. Running it twice adds nothing the second time.
func (s *Service) Catalogue(ctx context.Context, p authz.Principal) (added int, err error) {
	if !IsCustodian(p) && !isSystem(p) {
		return 0, deny("只有档案管理员可以整理档案目录")
	}
	now := s.DB.Now()
	keep, err := s.retention(ctx, s.county(ctx, p), now)
	if err != nil {
		return 0, err
	}
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		added = 0
		src, err := tx.ArchiveSources(ctx)
		if err != nil {
			return err
		}
		for _, r := range src {
			if expired(r.SourceAt, keep[r.Type], now) {
				continue
			}
			ok, err := tx.AddArchiveRecord(ctx, r, now)
			if err != nil {
				return err
			}
			if ok {
				added++
			}
		}
		return tx.Audit(ctx, store.Entry{Action: "archive.catalogue", Object: "archive", Detail: fmt.Sprintf("新增%d条", added)})
	})
	return added, err
}

// List returns the catalogue (titles, period, category) to anyone who may view it.
func (s *Service) List(ctx context.Context, p authz.Principal, f store.ArchiveFilter) ([]store.ArchiveRecord, error) {
	if !CanView(p) {
		return nil, deny("无权查看培训档案目录")
	}
	f.Scope = p.Scope()
	return s.DB.ArchiveRecords(ctx, f)
}

var periodRE = regexp.MustCompile(`^[0-9]{4}-Q[1-4]$`)

// ValidPeriod reports whether s is YYYY-Qn.
func ValidPeriod(s string) bool { return periodRE.MatchString(s) }

// Request files an access request. Scope: RecordID, or Period + Type
// (Category optional).
func (s *Service) Request(ctx context.Context, p authz.Principal, r store.ArchiveRequest) (int64, error) {
	if !CanView(p) {
		return 0, deny("无权申请查阅培训档案")
	}
	r.Purpose = strings.TrimSpace(r.Purpose)
	r.Period, r.Type, r.Category = strings.TrimSpace(r.Period), strings.TrimSpace(r.Type), strings.TrimSpace(r.Category)
	if r.Purpose == "" {
		return 0, errs.Invalidf("purpose", "请填写查阅目的")
	}
	if len([]rune(r.Purpose)) > 500 {
		return 0, errs.Invalidf("purpose", "查阅目的不超过500字")
	}
	if r.Days < 1 || r.Days > MaxDays {
		return 0, errs.Invalidf("days", "申请期限须为1至%d天", MaxDays)
	}
	if r.RecordID == 0 {
		if !ValidPeriod(r.Period) {
			return 0, errs.Invalidf("period", "请选择档案期间（如2026-Q3）")
		}
		if !slices.Contains(store.ArchiveTypes, r.Type) {
			return 0, errs.Invalidf("type", "请选择档案类别")
		}
	} else {
		r.Period, r.Type, r.Category = "", "", ""
	}
	r.UserID, r.Username, r.CreatedAt = p.UserID, p.Username, s.DB.Now()
	var id int64
	err := s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		if r.RecordID != 0 {
			if _, err := tx.ArchiveRecord(ctx, p.Scope(), r.RecordID); err != nil {
				return errs.Invalidf("record", "档案记录不存在")
			}
		}
		var err error
		if id, err = tx.AddArchiveRequest(ctx, r); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "archive.request", Object: fmt.Sprintf("archive_request:%d", id), Detail: Scope(r)})
	})
	return id, err
}

// Scope describes a request's scope in Chinese.
func Scope(r store.ArchiveRequest) string {
	if r.RecordID != 0 {
		return fmt.Sprintf("档案记录 %d", r.RecordID)
	}
	s := r.Period + " " + TypeLabel(r.Type)
	if r.Category != "" {
		s += "（" + r.Category + "）"
	}
	return s
}

// Approve grants a pending request for days from now.
func (s *Service) Approve(ctx context.Context, p authz.Principal, id int64, days int) error {
	if days < 1 || days > MaxDays {
		return errs.Invalidf("days", "批准期限须为1至%d天", MaxDays)
	}
	return s.decide(ctx, p, id, func(r *store.ArchiveRequest, now time.Time) {
		r.Status, r.Days, r.ExpiresAt = "approved", days, now.AddDate(0, 0, days)
	}, fmt.Sprintf("批准%d天", days))
}

// Refuse refuses a pending request; the reason is required.
func (s *Service) Refuse(ctx context.Context, p authz.Principal, id int64, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return errs.Invalidf("reason", "请填写不予批准的理由")
	}
	return s.decide(ctx, p, id, func(r *store.ArchiveRequest, now time.Time) {
		r.Status, r.Reason = "refused", reason
	}, "不予批准")
}

func (s *Service) decide(ctx context.Context, p authz.Principal, id int64, set func(*store.ArchiveRequest, time.Time), detail string) error {
	if !CanDecide(p) {
		return deny("只有档案管理员或县级业务管理员可以审批查阅申请")
	}
	now := s.DB.Now()
	return s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		r, err := tx.ArchiveRequest(ctx, p.Scope(), id)
		if err != nil {
			return err
		}
		if r.Status != "pending" {
			return errs.New(errs.Conflict, "", "该申请已处理")
		}
		if r.UserID == p.UserID {
			return deny("不能审批本人的查阅申请")
		}
		set(&r, now)
		r.DecidedBy, r.DecidedAt = p.Username, now
		if err := tx.DecideArchiveRequest(ctx, r); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "archive.decide", Object: fmt.Sprintf("archive_request:%d", id), Detail: detail})
	})
}

// Opened is a record's content as a reader sees it.
type Opened struct {
	Record    store.ArchiveRecord
	Content   store.ArchiveContent
	Versions  []store.ArchiveVersion
	RequestID int64 // the grant used; 0 for the custodian
	Corrected bool  // Content is the latest correction
}

// Open reads a record's content for p: the custodian always, anyone else
// only under an approved request that covers the record and has not
// expired now. Every read is logged; a refused read is audited as denied.
func (s *Service) Open(ctx context.Context, p authz.Principal, id int64) (Opened, error) {
	var o Opened
	if !CanView(p) {
		return o, deny("无权查阅培训档案")
	}
	now := s.DB.Now()
	refused := false
	err := s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		rec, err := tx.ArchiveRecord(ctx, p.Scope(), id)
		if err != nil {
			return err
		}
		o.Record = rec
		if !IsCustodian(p) {
			grant, err := tx.ArchiveGrant(ctx, p.UserID, rec, now)
			if err != nil {
				return err
			}
			if grant == 0 {
				refused = true
				return tx.Audit(ctx, store.Entry{Action: "archive.read", Object: fmt.Sprintf("archive_record:%d", id), Result: "denied",
					Detail: "无有效查阅授权"})
			}
			o.RequestID = grant
		}
		if o.Versions, err = tx.ArchiveVersions(ctx, id); err != nil {
			return err
		}
		if n := len(o.Versions); n > 0 {
			if err := json.Unmarshal([]byte(o.Versions[n-1].Content), &o.Content); err != nil {
				return errs.Wrap(err, "档案更正内容损坏")
			}
			o.Corrected = true
		} else if o.Content, err = tx.ArchiveLiveContent(ctx, rec); err != nil {
			return err
		}
		if err := tx.AddArchiveRead(ctx, store.ArchiveRead{RecordID: id, Title: rec.Title, RequestID: o.RequestID,
			UserID: p.UserID, Username: p.Username, ReadAt: now}); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "archive.read", Object: fmt.Sprintf("archive_record:%d", id),
			Detail: fmt.Sprintf("查阅申请%d", o.RequestID)})
	})
	if err == nil && refused {
		return Opened{Record: o.Record}, ErrNoGrant
	}
	return o, err
}

// ErrNoGrant: the reader holds no valid grant for the record.
var ErrNoGrant = errs.New(errs.Forbidden, "", "您没有该档案的有效查阅授权（未申请、未批准或已过期），请先提交查阅申请")

// Correct records a correction of a record's content as a new version; the
// earlier versions and the source stay.
func (s *Service) Correct(ctx context.Context, p authz.Principal, id int64, c store.ArchiveContent, note string) (int, error) {
	if !IsCustodian(p) {
		return 0, deny("只有档案管理员可以更正档案")
	}
	note = strings.TrimSpace(note)
	if note == "" {
		return 0, errs.Invalidf("note", "请填写更正原因")
	}
	if len(c.Fields) == 0 && len(c.Rows) == 0 {
		return 0, errs.Invalidf("content", "更正内容不能为空")
	}
	b, err := json.Marshal(c)
	if err != nil {
		return 0, errs.Wrap(err, "更正内容无法保存")
	}
	var v int
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		if _, err := tx.ArchiveRecord(ctx, p.Scope(), id); err != nil {
			return err
		}
		if v, err = tx.AddArchiveVersion(ctx, id, string(b), note, s.DB.Now()); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "archive.correct", Object: fmt.Sprintf("archive_record:%d", id),
			Detail: fmt.Sprintf("第%d版：%s", v, note)})
	})
	return v, err
}

// Current is a record's content as it stands (latest correction, else live),
// for the custodian's correction form; it is not a read and is not logged.
func (s *Service) Current(ctx context.Context, p authz.Principal, id int64) (store.ArchiveContent, error) {
	var c store.ArchiveContent
	if !IsCustodian(p) {
		return c, deny("只有档案管理员可以更正档案")
	}
	err := s.DB.ReadTx(ctx, p, func(tx *store.Tx) error {
		rec, err := tx.ArchiveRecord(ctx, p.Scope(), id)
		if err != nil {
			return err
		}
		vs, err := tx.ArchiveVersions(ctx, id)
		if err != nil {
			return err
		}
		if n := len(vs); n > 0 {
			return json.Unmarshal([]byte(vs[n-1].Content), &c)
		}
		c, err = tx.ArchiveLiveContent(ctx, rec)
		return err
	})
	return c, err
}

// Sweep removes the catalogue entries (and their versions) of county past
// the retention of their type on now; each removal is audited. It is the
// only way anything leaves the archive.
func (s *Service) Sweep(ctx context.Context, p authz.Principal, county region.Code) (removed int, err error) {
	if !IsCustodian(p) && !isSystem(p) {
		return 0, deny("只有档案管理员可以执行到期清理")
	}
	if county == "" {
		county = s.county(ctx, p)
	}
	now := s.DB.Now()
	keep, err := s.retention(ctx, county, now)
	if err != nil {
		return 0, err
	}
	// Retention is the county's: only its records are swept with it.
	all, err := s.DB.ArchiveRecords(ctx, store.ArchiveFilter{Scope: region.ScopeOf(county)})
	if err != nil {
		return 0, err
	}
	var due []store.ArchiveRecord
	for _, r := range all {
		if expired(r.SourceAt, keep[r.Type], now) {
			due = append(due, r)
		}
	}
	if len(due) == 0 {
		return 0, nil
	}
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		for _, r := range due {
			if err := tx.DeleteArchiveRecord(ctx, r.ID); err != nil {
				return err
			}
			if err := tx.Audit(ctx, store.Entry{Action: "archive.retention_delete", Object: fmt.Sprintf("archive_record:%d", r.ID),
				Detail: fmt.Sprintf("%s %s %s 保管期限%d年已满", TypeLabel(r.Type), r.Period, r.Title, keep[r.Type])}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(due), nil
}

// Every brings the catalogue up to date and runs the retention sweep at
// start and then every interval (serve runs it daily), as the system.
func Every(ctx context.Context, s *Service, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	p := authz.System("archive")
	for {
		if n, err := s.Catalogue(ctx, p); err != nil && ctx.Err() == nil {
			log.Error("archive: catalogue sync", "err", err)
		} else if n > 0 {
			log.Info("archive: records catalogued", "count", n)
		}
		for _, c := range s.counties(ctx) {
			if n, err := s.Sweep(ctx, p, c); err != nil && ctx.Err() == nil {
				log.Error("archive: retention sweep", "county", c, "err", err)
			} else if n > 0 {
				log.Info("archive: records past retention removed", "county", c, "count", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
