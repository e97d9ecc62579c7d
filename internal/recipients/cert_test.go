package recipients_test

import (
	"strings"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/policy"
	"dibao/internal/recipients"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

func (w *world) setGate(v string) {
	w.t.Helper()
	sys := testenv.User(w.t, w.db, "sys-"+v, testenv.County, authz.SystemAdmin)
	if err := policy.SetValue(ctx, w.db, sys, testenv.County, policy.CertificationGate, v,
		w.now.Format(time.DateOnly), "持证上岗"); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) grantCert(p authz.Principal, name string) {
	w.t.Helper()
	err := w.db.InTx(ctx, testenv.Admin(), func(tx *store.Tx) error {
		if err := tx.GrantCertification(ctx, &store.Certification{PersonID: p.UserID, Name: name}); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "test.grant", Object: "user:" + p.Username})
	})
	if err != nil {
		w.t.Fatal(err)
	}
}

// The certification gate in the review flow: enforce refuses an
// uncertified township officer's proposal (the option says why) and writes
// nothing; once certified for review it proceeds. Under warn the county's
// uncertified decision proceeds with the warning in the event and audit;
// under off there is no warning.
func TestCertificationGateInReviewFlow(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		task := w.reviewTask(w.hids[0])
		w.addIncome(w.hids[0], 3600)
		w.setGate("enforce")
		if v := w.view(w.town, task.ID); len(v.Options) != 1 || v.Options[0].Enabled ||
			!strings.Contains(v.Options[0].Reason, "“审核”岗位认证") {
			t.Fatalf("enforce option %+v", v.Options)
		}
		_, err := w.svc.ActReview(ctx, w.town, recipients.ReviewAction{TaskID: task.ID, Version: task.Version,
			Transition: "propose", Input: findings()})
		if !isCode(err, errs.Forbidden) || errs.As(err).Message != "您未取得有效的“审核”岗位认证，不能办理此事项" {
			t.Fatalf("uncertified proposal under enforce: %v", err)
		}
		if v := w.view(w.town, task.ID); v.Task.Version != task.Version || len(v.Events) != 0 {
			t.Fatalf("a refused proposal wrote: %+v", v.Task)
		}
		w.grantCert(w.town, "review")
		out, err := w.svc.ActReview(ctx, w.town, recipients.ReviewAction{TaskID: task.ID, Version: task.Version,
			Transition: "propose", Input: findings()})
		if err != nil || out.Warning != "" {
			t.Fatalf("certified proposal: %v warning %q", err, out.Warning)
		}

		w.setGate("warn")
		dec, err := w.svc.ActReview(ctx, w.county, recipients.ReviewAction{TaskID: task.ID, Version: out.Task.Version,
			Transition: "decide", Input: findings()})
		if err != nil || !strings.Contains(dec.Warning, "审批") || !strings.Contains(dec.Event.Record, "certification_warning") {
			t.Fatalf("warned decision: %v %+v", err, dec)
		}
		xs, err := db.QueryStrings(ctx, "SELECT detail FROM audit_log WHERE action = ?", "review.decide")
		if err != nil || len(xs) != 1 || !strings.Contains(xs[0], "warning=") {
			t.Fatalf("audit of the warned decision: %v %v", xs, err)
		}

		// off: a second task's proposal by an uncertified officer, no warning.
		w.setGate("off")
		task2 := w.reviewTask(w.hids[1])
		other := testenv.User(t, db, "township-b", task2.Region.Township(), authz.TownshipOfficer)
		out, err = w.svc.ActReview(ctx, other, recipients.ReviewAction{TaskID: task2.ID, Version: task2.Version,
			Transition: "propose", Input: findings()})
		if err != nil || out.Warning != "" {
			t.Fatalf("off gate: %v warning %q", err, out.Warning)
		}
	})
}
