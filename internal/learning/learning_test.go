package learning_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/enroll"
	"dibao/internal/errs"
	"dibao/internal/learning"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

var bg = context.Background()

// mp4 is a minimal file that sniffs as MP4: a box size, then "ftyp".
func mp4(n int) []byte {
	b := make([]byte, n)
	copy(b, "\x00\x00\x00\x18ftypisom\x00\x00\x02\x00")
	for i := 16; i < n; i++ {
		b[i] = byte(i)
	}
	return b
}

// clock is a settable clock for the service.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

type fixture struct {
	db      *store.DB
	svc     *learning.Service
	clk     *clock
	trainer authz.Principal
	trainee authz.Principal
	plan    int64
	enroll  int64
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	testenv.SeedRegions(t, db)
	f := &fixture{db: db, clk: &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}}
	f.svc = &learning.Service{DB: db, Now: f.clk.now}
	f.trainer = testenv.User(t, db, "trainer", testenv.County, authz.Trainer)
	f.trainee = testenv.User(t, db, "trainee", testenv.VillageA, authz.VillageClerk)
	err := db.InTx(bg, testenv.Admin(), func(tx *store.Tx) error {
		pl := store.TrainingPlan{Kind: "quarterly", Title: "一季度常规培训", Region: testenv.County,
			PeriodStart: "2026-01-01", PeriodEnd: "2026-03-31", Audience: "{}", RequiredMinutes: 60,
			Categories: string(enroll.PolicyLaw)}
		if err := tx.CreateTrainingPlan(bg, &pl); err != nil {
			return err
		}
		f.plan = pl.ID
		e := store.Enrollment{PersonID: f.trainee.UserID, PlanID: pl.ID, Due: "2026-03-31"}
		if err := tx.InsertEnrollment(bg, &e); err != nil {
			return err
		}
		f.enroll = e.ID
		return tx.Audit(bg, store.Entry{Action: "test.seed", Object: "plan"})
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) video(t *testing.T, duration, minutes int) int64 {
	t.Helper()
	id, err := f.svc.Upload(bg, f.trainer, learning.Meta{Title: "低保政策解读", Category: enroll.PolicyLaw,
		Duration: duration, Minutes: minutes, PlanID: f.plan}, mp4(4096))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) credited(t *testing.T) int {
	t.Helper()
	e, err := f.db.PersonEnrollments(bg, f.trainee.UserID)
	if err != nil || len(e) != 1 {
		t.Fatalf("enrollments %v %v", e, err)
	}
	return e[0].MinutesCredited
}

// play sends heartbeats every 10 s of service time from position from to
// to, as a player in real time would; it returns the last status.
func (f *fixture) play(t *testing.T, item int64, playback string, seq *int64, from, to int) learning.Status {
	t.Helper()
	var st learning.Status
	var err error
	for pos := from; ; pos += 10 {
		pos = min(pos, to)
		if st, err = f.svc.Heartbeat(bg, f.trainee, item, playback, *seq, pos); err != nil {
			t.Fatal(err)
		}
		*seq++
		if pos == to {
			return st
		}
		f.clk.advance(10 * time.Second)
	}
}

func TestRealPlaybackCompletesAndCreditsOnce(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		id := f.video(t, 120, 30)
		var seq int64
		st := f.play(t, id, "tab1", &seq, 0, 100)
		if st.Complete || st.Percent != 83 || f.credited(t) != 0 {
			t.Fatalf("after 100/120 s: %+v, credited %d", st, f.credited(t))
		}
		f.clk.advance(10 * time.Second)
		st = f.play(t, id, "tab1", &seq, 110, 120)
		if !st.Complete || st.Credited != 30 || st.Percent != 100 {
			t.Fatalf("at the end: %+v", st)
		}
		// Watching again credits nothing more.
		f.clk.advance(10 * time.Second)
		st = f.play(t, id, "tab2", new(int64), 0, 30)
		if st.Credited != 0 || f.credited(t) != 30 {
			t.Fatalf("rewatch credited again: %+v, total %d", st, f.credited(t))
		}
		e, err := f.svc.Item(bg, f.trainee, id)
		if err != nil || !e.Complete || e.Percent != 100 {
			t.Fatalf("Item = %+v, %v", e, err)
		}
		var n int
		rows, err := db.QueryStrings(bg, "SELECT detail FROM audit_log WHERE action = 'learning.complete'")
		if err != nil {
			t.Fatal(err)
		}
		n = len(rows)
		if n != 1 {
			t.Fatalf("learning.complete audited %d times: %v", n, rows)
		}
	})
}

// TestSkipToEndDoesNotComplete is the acceptance criterion of issue 5:
// skipping to the end of a video does not complete it.
func TestSkipToEndDoesNotComplete(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		id := f.video(t, 600, 30)
		if _, err := f.svc.Heartbeat(bg, f.trainee, id, "tab", 0, 0); err != nil {
			t.Fatal(err)
		}
		f.clk.advance(10 * time.Second)
		st, err := f.svc.Heartbeat(bg, f.trainee, id, "tab", 1, 600)
		if err != nil {
			t.Fatal(err)
		}
		if st.Accepted || st.Complete || st.Watched != 0 || st.Credited != 0 || f.credited(t) != 0 {
			t.Fatalf("skip to the end: %+v, credited %d", st, f.credited(t))
		}
		// Nor does a long pause followed by the jump (the gap is capped).
		f.clk.advance(2 * time.Hour)
		if _, err := f.svc.Heartbeat(bg, f.trainee, id, "tab", 2, 0); err != nil {
			t.Fatal(err)
		}
		f.clk.advance(2 * time.Hour)
		st, _ = f.svc.Heartbeat(bg, f.trainee, id, "tab", 3, 600)
		if st.Complete || st.Watched != 0 {
			t.Fatalf("pause then skip: %+v", st)
		}
		e, _ := f.svc.Item(bg, f.trainee, id)
		if e.Complete || e.Percent != 0 {
			t.Fatalf("Item = %+v", e)
		}
	})
}

func TestTwoTabsCountOnce(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		id := f.video(t, 300, 30)
		// Two tabs play 0–60 s at the same time, interleaved.
		var s1, s2 int64
		for pos := 0; pos <= 60; pos += 10 {
			for _, tab := range []struct {
				id  string
				seq *int64
			}{{"tabA", &s1}, {"tabB", &s2}} {
				st, err := f.svc.Heartbeat(bg, f.trainee, id, tab.id, *tab.seq, pos)
				if err != nil {
					t.Fatal(err)
				}
				*tab.seq++
				if pos > 0 && !st.Accepted {
					t.Fatalf("%s at %d refused: the tabs reject each other", tab.id, pos)
				}
			}
			f.clk.advance(10 * time.Second)
		}
		e, err := f.svc.Item(bg, f.trainee, id)
		if err != nil || e.Percent != 20 {
			t.Fatalf("two tabs over 0–60 of 300 s: %+v, %v (want 20%%)", e, err)
		}
		// A stale report (lower sequence number) changes nothing.
		st, _ := f.svc.Heartbeat(bg, f.trainee, id, "tabA", 0, 200)
		if st.Accepted || st.Watched != 60 {
			t.Fatalf("stale report: %+v", st)
		}
	})
}

func TestUploadRefusesRenamedNonVideo(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		for name, data := range map[string][]byte{
			"text named .mp4": []byte("this is not a video, only text renamed to lesson.mp4"),
			"exe":             append([]byte("MZ\x90\x00"), make([]byte, 64)...),
			"png":             []byte("\x89PNG\r\n\x1a\n0000000000"),
		} {
			_, err := f.svc.Upload(bg, f.trainer, learning.Meta{Title: name, Category: enroll.Ethics, Duration: 60}, data)
			if errs.CodeOf(err) != errs.Invalid || errs.Fields(err)["file"] == "" {
				t.Errorf("%s: Upload = %v, want Invalid on file", name, err)
			}
		}
		// A trainee may not upload.
		_, err := f.svc.Upload(bg, f.trainee, learning.Meta{Title: "x", Category: enroll.Ethics, Duration: 60}, mp4(64))
		if errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("trainee upload = %v", err)
		}
		// A video needs its duration; WebM and PDF are accepted.
		_, err = f.svc.Upload(bg, f.trainer, learning.Meta{Title: "x", Category: enroll.Ethics}, mp4(64))
		if errs.Fields(err)["duration"] == "" {
			t.Errorf("video without duration = %v", err)
		}
		webm := append([]byte{0x1A, 0x45, 0xDF, 0xA3}, make([]byte, 60)...)
		if _, err := f.svc.Upload(bg, f.trainer, learning.Meta{Title: "webm", Category: enroll.Ethics, Duration: 5}, webm); err != nil {
			t.Errorf("webm: %v", err)
		}
		doc, err := f.svc.Upload(bg, f.trainer, learning.Meta{Title: "政策文件", Category: enroll.PolicyLaw, Minutes: 15,
			PlanID: f.plan}, []byte("%PDF-1.4\n%%EOF\n"))
		if err != nil {
			t.Fatal(err)
		}
		// A document completes on acknowledgement and credits once.
		for i := range 2 {
			st, err := f.svc.Acknowledge(bg, f.trainee, doc)
			if err != nil || !st.Complete || st.Credited != []int{15, 0}[i] {
				t.Fatalf("acknowledge %d: %+v %v", i, st, err)
			}
		}
		if f.credited(t) != 15 {
			t.Fatalf("credited %d", f.credited(t))
		}
		// Heartbeats are for videos only.
		if _, err := f.svc.Heartbeat(bg, f.trainee, doc, "t", 0, 0); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("heartbeat on a document = %v", err)
		}
		cat, err := f.svc.Catalogue(bg, f.trainee, enroll.PolicyLaw)
		if err != nil || len(cat) != 1 || !cat[0].Complete || cat[0].Item.Kind != store.LearningDocument {
			t.Fatalf("catalogue = %+v, %v", cat, err)
		}
		r, _, ct, err := f.svc.Content(bg, f.trainee, doc)
		if err != nil || ct != learning.PDF {
			t.Fatalf("content %v %s", err, ct)
		}
		b, _ := io.ReadAll(r)
		if string(b) != "%PDF-1.4\n%%EOF\n" {
			t.Fatal(fmt.Sprintf("content %q", b))
		}
	})
}
