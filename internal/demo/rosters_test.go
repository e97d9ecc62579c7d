package demo

import (
	"context"
	"testing"
	"time"

	"dibao/internal/calendar"
	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/roster"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

func TestLoadRosters(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		db.SetClock(func() time.Time { return time.Date(2027, 2, 10, 9, 0, 0, 0, calendar.Location()) })
		if _, err := Load(ctx, db, Generate(DefaultSeed, db.Now())); err != nil {
			t.Fatal(err)
		}
		svc := &recipients.Service{DB: db, Now: db.Now}
		res, err := LoadRosters(ctx, db, svc)
		if err != nil || res.Enrolled < 25 || len(res.Months) != 3 || res.Months[0] != "2026-11" || res.Months[2] != "2027-01" {
			t.Fatalf("LoadRosters: %+v %v", res, err)
		}
		users, err := db.Users(ctx, region.All())
		if err != nil {
			t.Fatal(err)
		}
		var p = users[0].Principal()
		for _, u := range users {
			if u.Username == "county" {
				p = u.Principal()
			}
		}
		list, err := svc.Rosters(ctx, p, CountyCode, "")
		if err != nil || len(list) != 3 {
			t.Fatalf("rosters %+v %v", list, err)
		}
		jan, dec, nov := list[0], list[1], list[2]
		for _, r := range list {
			if r.Status != "approved" || r.Rows < 25 {
				t.Fatalf("roster %+v", r)
			}
		}
		if nov.Paid != nov.Rows || dec.Paid != dec.Rows-1 || dec.Failed != 1 || jan.Paid != 0 {
			t.Fatalf("payments: nov %+v dec %+v jan %+v", nov, dec, jan)
		}
		d, err := svc.Diff(ctx, p, jan.ID)
		c := d.Changes
		// January: two joined, one stopped, one raised.
		if err != nil || !d.HasPrev || c.Added != 2 || c.Removed != 1 || c.Increased != 1 || c.Items[0].Kind == "" {
			t.Fatalf("January diff %+v %v", c, err)
		}
		if d, err := svc.Diff(ctx, p, dec.ID); err != nil || d.Changes.Added != 2 || d.Changes.Removed != 0 {
			t.Fatalf("December diff %+v %v", d.Changes, err)
		}
		if _, err := roster.ParseMonth(jan.Month); err != nil {
			t.Fatal(err)
		}
		again, err := LoadRosters(ctx, db, svc)
		if err != nil || !again.AlreadyLoaded {
			t.Fatalf("second LoadRosters: %+v %v", again, err)
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
