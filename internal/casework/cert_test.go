package casework_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/casework"
	"dibao/internal/errs"
	"dibao/internal/policy"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// setGate sets the county's certification_gate from today, as the system
// administrator does on the policy page.
func (w *world) setGate(v string) {
	w.t.Helper()
	sys := testenv.User(w.t, w.db, "sys-"+v, testenv.County, authz.SystemAdmin)
	if err := policy.SetValue(ctx, w.db, sys, testenv.County, policy.CertificationGate, v, w.day(0), "持证上岗"); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) grant(p authz.Principal, name, until string) {
	w.t.Helper()
	err := w.db.InTx(ctx, testenv.Admin(), func(tx *store.Tx) error {
		if err := tx.GrantCertification(ctx, &store.Certification{PersonID: p.UserID, Name: name, ValidUntil: until}); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "test.grant", Object: "user:" + p.Username})
	})
	if err != nil {
		w.t.Fatal(err)
	}
}

func homeVisitOption(t *testing.T, w *world, p authz.Principal, c store.Case) (enabled bool, reason, warning string) {
	t.Helper()
	v, err := w.svc.Get(ctx, p, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range v.Options {
		if o.Transition.ID == "record_home_visit" {
			return o.Enabled, o.Reason, o.Warning
		}
	}
	t.Fatal("no record_home_visit option")
	return
}

// The certification gate in casework: warn lets an uncertified officer act
// and the audit notes it; enforce refuses with the engine's message (and
// the page's option says so) until they hold a valid certification —
// expired ones do not count; off ignores certifications.
func TestCertificationGateInCasework(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		c, err := w.svc.Open(ctx, w.clerk, w.hid, casework.Declaration{None: true})
		if err != nil {
			t.Fatal(err)
		}
		// warn (the default): everything proceeds, with a warning.
		out := w.act(w.clerk, &c, "intake", map[string]string{"application_date": w.day(0)}, "")
		if !strings.Contains(out.Warning, "受理") {
			t.Fatalf("warn gate: warning %q", out.Warning)
		}
		w.materials(&c)
		w.act(w.clerk, &c, "accept", nil, "")
		w.act(w.clerk, &c, "forward", nil, "")
		out = w.act(w.t1, &c, "start_investigation", nil, "")
		if !strings.Contains(out.Warning, "调查") {
			t.Fatalf("warn gate on start_investigation: %q", out.Warning)
		}
		xs, err := db.QueryStrings(ctx, "SELECT detail FROM audit_log WHERE action = ?", "case.start_investigation")
		if err != nil || len(xs) != 1 || !strings.Contains(xs[0], "warning=") {
			t.Fatalf("audit of the warned step: %v %v", xs, err)
		}

		// enforce: refused with the clear message, nothing written.
		w.setGate("enforce")
		visit := map[string]string{"visit_date": w.day(0), "investigators": strconv.FormatInt(w.t1.UserID, 10) + "|" +
			strconv.FormatInt(w.t2.UserID, 10), "form_filled": "on", "findings": "两间旧平房"}
		before := c.Version
		_, err = w.try(w.t1, &c, "record_home_visit", visit, "")
		wantRefusal(t, err, errs.Forbidden, "您未取得有效的“调查”岗位认证，不能办理此事项")
		if c.Version != before {
			t.Fatal("a refused step changed the case")
		}
		if en, reason, _ := homeVisitOption(t, w, w.t1, c); en || !strings.Contains(reason, "“调查”岗位认证") {
			t.Fatalf("option under enforce: enabled=%v reason=%q", en, reason)
		}
		// An expired certification does not count; a valid one does.
		w.grant(w.t1, "investigation", w.now.AddDate(0, 0, -1).Format(time.DateOnly))
		_, err = w.try(w.t1, &c, "record_home_visit", visit, "")
		wantRefusal(t, err, errs.Forbidden, "岗位认证")
		w.grant(w.t1, "investigation", w.now.AddDate(1, 0, 0).Format(time.DateOnly))
		if en, _, warning := homeVisitOption(t, w, w.t1, c); !en || warning != "" {
			t.Fatalf("certified option: enabled=%v warning=%q", en, warning)
		}
		out = w.act(w.t1, &c, "record_home_visit", visit, "")
		if out.Warning != "" {
			t.Fatalf("certified officer warned: %q", out.Warning)
		}

		// off: an uncertified officer acts without a warning.
		w.setGate("off")
		out = w.act(w.t2, &c, "record_interview", map[string]string{"interview_date": w.day(0),
			"interviewees": "邻居王某", "content": "家中确无收入"}, "")
		if out.Warning != "" {
			t.Fatalf("off gate warned: %q", out.Warning)
		}
		names, _ := db.CertifiedNames(ctx, w.t2.UserID, w.day(0))
		if slices.Contains(names, "investigation") {
			t.Fatal("t2 certified unexpectedly")
		}
	})
}
