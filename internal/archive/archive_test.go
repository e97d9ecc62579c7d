package archive_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"dibao/internal/archive"
	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/policy"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

var bg = context.Background()

// world is a store with a custodian, a trainer, a trainee, a leader and an
// auditor, one plan of 2026-Q3 with a session (attendance, feedback) and
// theory results, and one plan of 2026-Q2 with results.
type world struct {
	db                                           *store.DB
	svc                                          *archive.Service
	now                                          time.Time
	custodian, trainer, trainee, leader, auditor authz.Principal
}

func setup(t *testing.T, db *store.DB) *world {
	t.Helper()
	testenv.SeedRegions(t, db)
	w := &world{db: db, svc: &archive.Service{DB: db}, now: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}
	db.SetClock(func() time.Time { return w.now })
	mk := func(name, display string, role authz.Role) authz.Principal {
		var id int64
		err := db.InTx(bg, authz.System("test-seed"), func(tx *store.Tx) error {
			var err error
			id, err = tx.CreateUser(bg, store.User{Username: name, DisplayName: display, Region: testenv.County,
				Roles: []authz.Role{role}, PasswordHash: "x", Active: true})
			if err != nil {
				return err
			}
			return tx.Audit(bg, store.Entry{Action: "test.seed", Object: "user:" + name})
		})
		if err != nil {
			t.Fatal(err)
		}
		return authz.Principal{UserID: id, Username: name, DisplayName: display, Roles: []authz.Role{role}, Region: testenv.County}
	}
	w.custodian = mk("custodian", "陈淑芳", authz.ArchiveCustodian)
	w.trainer = mk("trainer", "孙讲师", authz.Trainer)
	w.trainee = mk("trainee", "李学员", authz.TownshipOfficer)
	w.leader = mk("leader", "王局长", authz.CountyAdmin)
	w.auditor = mk("auditor", "赵审计", authz.Auditor)
	ms := func(y int, m time.Month, d int) int64 { return time.Date(y, m, d, 2, 0, 0, 0, time.UTC).UnixMilli() }
	for _, q := range []struct {
		q    string
		args []any
	}{
		{`INSERT INTO training_plans (kind, title, region_code, period_start, period_end, required_minutes, categories, created_at)
			VALUES ('quarterly', '三季度常规培训', ?, '2026-07-01', '2026-09-30', 240, 'policy_law', ?)`, []any{testenv.County, ms(2026, 7, 1)}},
		{`INSERT INTO training_plans (kind, title, region_code, period_start, period_end, required_minutes, categories, created_at)
			VALUES ('quarterly', '二季度常规培训', ?, '2026-04-01', '2026-06-30', 240, 'policy_law', ?)`, []any{testenv.County, ms(2026, 4, 1)}},
		{`INSERT INTO training_sessions (plan_id, kind, title, starts_at, ends_at, place, trainer_user_id, checkin_secret, minutes, created_at)
			VALUES (1, 'classroom', '低保政策解读', ?, ?, '县民政局三楼会议室', ?, 'ab', 120, ?)`,
			[]any{ms(2026, 8, 5), ms(2026, 8, 5) + 7_200_000, w.trainer.UserID, ms(2026, 8, 1)}},
		{`INSERT INTO attendance (session_id, person_id, checked_in_at, method, minutes) VALUES (1, ?, ?, 'code', 120)`,
			[]any{w.trainee.UserID, ms(2026, 8, 5)}},
		{`INSERT INTO feedback (session_id, person_id, content, method, trainer, comment, created_at) VALUES (1, ?, 5, 4, 5, '讲得清楚', ?)`,
			[]any{w.trainee.UserID, ms(2026, 8, 5)}},
		{`INSERT INTO assessment_results (person_id, plan_id, kind, attempt, score, passed, recorded_by, recorded_at)
			VALUES (?, 1, 'theory', 'first', 87, 1, 'trainer', ?)`, []any{w.trainee.UserID, ms(2026, 9, 10)}},
		{`INSERT INTO assessment_results (person_id, plan_id, kind, attempt, score, passed, recorded_by, recorded_at)
			VALUES (?, 2, 'theory', 'first', 55, 0, 'trainer', ?)`, []any{w.trainee.UserID, ms(2026, 5, 10)}},
	} {
		if err := db.ExecRaw(bg, q.q, q.args...); err != nil {
			t.Fatalf("seed %q: %v", q.q, err)
		}
	}
	return w
}

func (w *world) record(t *testing.T, typ, period string) store.ArchiveRecord {
	t.Helper()
	rs, err := w.db.ArchiveRecords(bg, store.ArchiveFilter{Scope: region.All(), Type: typ, Period: period})
	if err != nil || len(rs) != 1 {
		t.Fatalf("records %s %s: %v %v", typ, period, rs, err)
	}
	return rs[0]
}

func code(err error) errs.Code {
	var e *errs.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func auditCount(t *testing.T, db *store.DB, action, result string) int {
	t.Helper()
	got, err := db.QueryStrings(bg, "SELECT object FROM audit_log WHERE action = ? AND result = ?", action, result)
	if err != nil {
		t.Fatal(err)
	}
	return len(got)
}

func TestCatalogueIdempotentAndClassified(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		if _, err := w.svc.Catalogue(bg, w.trainer); code(err) != errs.Forbidden {
			t.Fatalf("trainer catalogues: %v", err)
		}
		n, err := w.svc.Catalogue(bg, w.custodian)
		if err != nil {
			t.Fatal(err)
		}
		// 2 plans, 1 session, 2 score sets, 1 feedback set.
		if n != 6 {
			t.Fatalf("added %d, want 6", n)
		}
		if n, err = w.svc.Catalogue(bg, w.custodian); err != nil || n != 0 {
			t.Fatalf("second sync added %d (%v), want 0", n, err)
		}
		all, _ := w.svc.List(bg, w.trainer, store.ArchiveFilter{})
		if len(all) != 6 {
			t.Fatalf("catalogue has %d entries", len(all))
		}
		s := w.record(t, store.ArchiveScore, "2026-Q3")
		if s.Category != "theory" || !strings.Contains(s.Title, "三季度常规培训") || s.Version != 1 {
			t.Fatalf("score record %+v", s)
		}
		if r := w.record(t, store.ArchiveSession, "2026-Q3"); r.Category != "classroom" {
			t.Fatalf("session record %+v", r)
		}
		if _, err := w.svc.List(bg, authz.Principal{UserID: w.trainee.UserID, Username: "trainee", Roles: []authz.Role{authz.TownshipOfficer}}, store.ArchiveFilter{}); code(err) != errs.Forbidden {
			t.Fatalf("non-training role lists: %v", err)
		}
	})
}

func TestRequestApproveReadExpire(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		if _, err := w.svc.Catalogue(bg, w.custodian); err != nil {
			t.Fatal(err)
		}
		q3 := w.record(t, store.ArchiveScore, "2026-Q3")
		q2 := w.record(t, store.ArchiveScore, "2026-Q2")
		sess := w.record(t, store.ArchiveSession, "2026-Q3")

		if _, err := w.svc.Open(bg, w.trainer, q3.ID); !errors.Is(err, archive.ErrNoGrant) {
			t.Fatalf("read without request: %v", err)
		}
		id, err := w.svc.Request(bg, w.trainer, store.ArchiveRequest{Purpose: "复盘三季度考核", Period: "2026-Q3", Type: store.ArchiveScore, Days: 5})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Open(bg, w.trainer, q3.ID); !errors.Is(err, archive.ErrNoGrant) {
			t.Fatalf("read while pending: %v", err)
		}
		if err := w.svc.Approve(bg, w.trainer, id, 2); code(err) != errs.Forbidden {
			t.Fatalf("trainer approves: %v", err)
		}
		if err := w.svc.Approve(bg, w.custodian, id, 0); code(err) != errs.Invalid {
			t.Fatalf("0 days: %v", err)
		}
		if err := w.svc.Approve(bg, w.custodian, id, 2); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.Approve(bg, w.custodian, id, 2); code(err) != errs.Conflict {
			t.Fatalf("approve twice: %v", err)
		}
		o, err := w.svc.Open(bg, w.trainer, q3.ID)
		if err != nil {
			t.Fatal(err)
		}
		if o.RequestID != id || len(o.Content.Rows) != 1 || o.Content.Rows[0][4] != "87" || o.Content.Rows[0][0] != "李学员" {
			t.Fatalf("content %+v", o)
		}
		// Scope: the grant is for 2026-Q3 scores only.
		if _, err := w.svc.Open(bg, w.trainer, q2.ID); !errors.Is(err, archive.ErrNoGrant) {
			t.Fatalf("other period opened: %v", err)
		}
		if _, err := w.svc.Open(bg, w.trainer, sess.ID); !errors.Is(err, archive.ErrNoGrant) {
			t.Fatalf("other type opened: %v", err)
		}
		reads, err := db.ArchiveReads(bg, region.All(), 10)
		if err != nil || len(reads) != 1 || reads[0].Username != "trainer" || reads[0].RecordID != q3.ID || reads[0].RequestID != id {
			t.Fatalf("read log %+v %v", reads, err)
		}
		if n := auditCount(t, db, "archive.read", "denied"); n != 4 {
			t.Fatalf("%d denied reads audited, want 4", n)
		}
		// Two days and a minute later the grant has run out.
		w.now = w.now.Add(48*time.Hour + time.Minute)
		if _, err := w.svc.Open(bg, w.trainer, q3.ID); !errors.Is(err, archive.ErrNoGrant) {
			t.Fatalf("read after expiry: %v", err)
		}
		if reads, _ := db.ArchiveReads(bg, region.All(), 10); len(reads) != 1 {
			t.Fatalf("refused read logged as a read: %+v", reads)
		}
		// The custodian reads without a request; the read is logged too.
		if o, err := w.svc.Open(bg, w.custodian, sess.ID); err != nil || o.RequestID != 0 || len(o.Content.Rows) != 1 {
			t.Fatalf("custodian read: %+v %v", o, err)
		}
		if reads, _ := db.ArchiveReads(bg, region.All(), 10); len(reads) != 2 {
			t.Fatalf("read log %+v", reads)
		}
	})
}

func TestRequestOneRecordAndRefusal(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		if _, err := w.svc.Catalogue(bg, w.custodian); err != nil {
			t.Fatal(err)
		}
		sess := w.record(t, store.ArchiveSession, "2026-Q3")
		fb := w.record(t, store.ArchiveFeedback, "2026-Q3")
		bad := []struct {
			name  string
			r     store.ArchiveRequest
			field string
		}{
			{"no purpose", store.ArchiveRequest{Period: "2026-Q3", Type: "score", Days: 2}, "purpose"},
			{"bad period", store.ArchiveRequest{Purpose: "x", Period: "2026-13", Type: "score", Days: 2}, "period"},
			{"bad type", store.ArchiveRequest{Purpose: "x", Period: "2026-Q3", Type: "secret", Days: 2}, "type"},
			{"days 0", store.ArchiveRequest{Purpose: "x", Period: "2026-Q3", Type: "score", Days: 0}, "days"},
			{"days 91", store.ArchiveRequest{Purpose: "x", Period: "2026-Q3", Type: "score", Days: 91}, "days"},
			{"no record", store.ArchiveRequest{Purpose: "x", RecordID: 999, Days: 2}, "record"},
		}
		for _, c := range bad {
			_, err := w.svc.Request(bg, w.trainer, c.r)
			var e *errs.Error
			if !errors.As(err, &e) || e.Code != errs.Invalid || e.Field != c.field {
				t.Errorf("%s: %v", c.name, err)
			}
		}
		if rs, _ := db.ArchiveRequests(bg, region.All(), 0, ""); len(rs) != 0 {
			t.Fatalf("bad input stored %d requests", len(rs))
		}
		one, err := w.svc.Request(bg, w.trainer, store.ArchiveRequest{Purpose: "备课", RecordID: sess.ID, Days: 3})
		if err != nil {
			t.Fatal(err)
		}
		other, err := w.svc.Request(bg, w.trainer, store.ArchiveRequest{Purpose: "看反馈", RecordID: fb.ID, Days: 3})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.svc.Refuse(bg, w.custodian, other, "  "); code(err) != errs.Invalid {
			t.Fatalf("refusal without reason: %v", err)
		}
		if err := w.svc.Refuse(bg, w.leader, other, "反馈仅供培训管理员查阅"); err != nil {
			t.Fatal(err)
		}
		rs, _ := db.ArchiveRequests(bg, region.All(), w.trainer.UserID, "refused")
		if len(rs) != 1 || rs[0].Reason != "反馈仅供培训管理员查阅" || rs[0].DecidedBy != "leader" {
			t.Fatalf("refused %+v", rs)
		}
		// A leader approves; the grant opens that record and no other.
		if err := w.svc.Approve(bg, w.leader, one, 3); err != nil {
			t.Fatal(err)
		}
		o, err := w.svc.Open(bg, w.trainer, sess.ID)
		if err != nil {
			t.Fatal(err)
		}
		var place, trainer string
		for _, f := range o.Content.Fields {
			switch f.Label {
			case "地点":
				place = f.Value
			case "讲师":
				trainer = f.Value
			}
		}
		if place != "县民政局三楼会议室" || trainer != "孙讲师" || o.Content.Rows[0][0] != "李学员" {
			t.Fatalf("session content %+v", o.Content)
		}
		if _, err := w.svc.Open(bg, w.trainer, fb.ID); !errors.Is(err, archive.ErrNoGrant) {
			t.Fatalf("refused record opened: %v", err)
		}
		// Nobody approves their own request.
		own, err := w.svc.Request(bg, w.custodian, store.ArchiveRequest{Purpose: "自查", RecordID: fb.ID, Days: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.svc.Approve(bg, w.custodian, own, 1); code(err) != errs.Forbidden {
			t.Fatalf("own approval: %v", err)
		}
	})
}

func TestCorrectionsAreVersions(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		if _, err := w.svc.Catalogue(bg, w.custodian); err != nil {
			t.Fatal(err)
		}
		q3 := w.record(t, store.ArchiveScore, "2026-Q3")
		cur, err := w.svc.Current(bg, w.custodian, q3.ID)
		if err != nil {
			t.Fatal(err)
		}
		cur.Rows[0][4] = "89"
		if _, err := w.svc.Correct(bg, w.trainer, q3.ID, cur, "录入错误"); code(err) != errs.Forbidden {
			t.Fatalf("trainer corrects: %v", err)
		}
		if _, err := w.svc.Correct(bg, w.custodian, q3.ID, cur, ""); code(err) != errs.Invalid {
			t.Fatalf("correction without reason: %v", err)
		}
		v, err := w.svc.Correct(bg, w.custodian, q3.ID, cur, "阅卷复核后更正")
		if err != nil || v != 2 {
			t.Fatalf("correct: %d %v", v, err)
		}
		cur.Rows[0][4] = "90"
		if v, err = w.svc.Correct(bg, w.custodian, q3.ID, cur, "再次复核"); err != nil || v != 3 {
			t.Fatalf("second correction: %d %v", v, err)
		}
		o, err := w.svc.Open(bg, w.custodian, q3.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !o.Corrected || o.Content.Rows[0][4] != "90" || len(o.Versions) != 2 || o.Versions[0].Note != "阅卷复核后更正" ||
			o.Versions[0].CreatedBy != "custodian" || o.Record.Version != 3 {
			t.Fatalf("opened %+v", o)
		}
		// The source is untouched and a re-sync changes nothing.
		if got, _ := db.QueryStrings(bg, "SELECT CAST(score AS TEXT) FROM assessment_results WHERE plan_id = 1"); len(got) != 1 || got[0] != "87" {
			t.Fatalf("source changed: %v", got)
		}
		if n, err := w.svc.Catalogue(bg, w.custodian); err != nil || n != 0 {
			t.Fatalf("resync %d %v", n, err)
		}
		if r := w.record(t, store.ArchiveScore, "2026-Q3"); r.Version != 3 {
			t.Fatalf("version after resync %d", r.Version)
		}
	})
}

func TestRetentionSweep(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		if _, err := w.svc.Catalogue(bg, w.custodian); err != nil {
			t.Fatal(err)
		}
		fb := w.record(t, store.ArchiveFeedback, "2026-Q3")
		cur, _ := w.svc.Current(bg, w.custodian, fb.ID)
		if _, err := w.svc.Correct(bg, w.custodian, fb.ID, cur, "补录"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Sweep(bg, w.trainer, testenv.County); code(err) != errs.Forbidden {
			t.Fatalf("trainer sweeps: %v", err)
		}
		if n, err := w.svc.Sweep(bg, w.custodian, testenv.County); err != nil || n != 0 {
			t.Fatalf("early sweep removed %d (%v)", n, err)
		}
		// Feedback is kept 5 years, sessions and materials 10, plans and scores 30.
		w.now = time.Date(2031, 9, 1, 0, 0, 0, 0, time.UTC)
		// The batch principal (serve's daily run) finds the county itself.
		n, err := w.svc.Sweep(bg, authz.System("archive"), "")
		if err != nil || n != 1 {
			t.Fatalf("sweep removed %d (%v), want the feedback set", n, err)
		}
		if rs, _ := db.ArchiveRecords(bg, store.ArchiveFilter{Scope: region.All(), Type: store.ArchiveFeedback}); len(rs) != 0 {
			t.Fatalf("feedback still listed: %+v", rs)
		}
		if v, _ := db.QueryStrings(bg, "SELECT note FROM archive_record_versions"); len(v) != 0 {
			t.Fatalf("versions left: %v", v)
		}
		if got, _ := db.QueryStrings(bg, "SELECT object FROM audit_log WHERE action = 'archive.retention_delete'"); len(got) != 1 ||
			got[0] != "archive_record:"+itoa(fb.ID) {
			t.Fatalf("deletion audit %v", got)
		}
		// A later sync does not bring the expired entry back; the rest stays.
		if n, err := w.svc.Catalogue(bg, authz.System("archive")); err != nil || n != 0 {
			t.Fatalf("resync %d %v", n, err)
		}
		if all, _ := db.ArchiveRecords(bg, store.ArchiveFilter{Scope: region.All()}); len(all) != 5 {
			t.Fatalf("%d left, want 5", len(all))
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestRetentionFollowsPolicy(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		if _, err := w.svc.Catalogue(bg, w.custodian); err != nil {
			t.Fatal(err)
		}
		// The county keeps feedback for 1 year instead of 5.
		if err := policy.SetValue(bg, db, w.leader, testenv.County, policy.RetainFeedback, "1", "2026-11-20", "县档案管理办法"); err != nil {
			t.Fatal(err)
		}
		w.now = time.Date(2027, 9, 1, 0, 0, 0, 0, time.UTC)
		n, err := w.svc.Sweep(bg, w.custodian, testenv.County)
		if err != nil || n != 1 {
			t.Fatalf("swept %d (%v), want the feedback set", n, err)
		}
		if rs, _ := db.ArchiveRecords(bg, store.ArchiveFilter{Scope: region.All()}); len(rs) != 5 {
			t.Fatalf("%d left", len(rs))
		}
	})
}
