package holidays_test

import (
	"context"
	"strings"
	"testing"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/errs"
	"dibao/internal/holidays"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

func TestImportAndCalendar(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		testenv.SeedRegions(t, db)
		admin := testenv.User(t, db, "sys", testenv.County, authz.SystemAdmin)
		clerk := testenv.User(t, db, "clerk", testenv.VillageA, authz.VillageClerk)
		schedule := "# 2028 年部分安排（测试）\n2028-10-02 休 国庆节\n2028-10-08 班 国庆节调休\n"

		if _, err := holidays.Import(ctx, db, clerk, schedule); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("clerk imported a schedule: %v", err)
		}
		// A bad line stores nothing.
		if _, err := holidays.Import(ctx, db, admin, schedule+"2028-13-01 休 错误\n"); errs.CodeOf(err) != errs.Invalid ||
			!strings.Contains(errs.As(err).Message, "第4行") {
			t.Fatalf("bad schedule: %v", err)
		}
		if s, _ := holidays.Overrides(ctx, db); s != "" {
			t.Fatalf("rejected schedule stored: %q", s)
		}
		n, err := holidays.Import(ctx, db, admin, schedule)
		if err != nil || n != 2 {
			t.Fatalf("import: %d %v", n, err)
		}
		cal, err := holidays.Calendar(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		// 2028-10-02 is a Monday made a holiday; 2028-10-08 a Sunday made a working day.
		if cal.IsWorkingDay(calendar.Date(2028, 10, 2)) || !cal.IsWorkingDay(calendar.Date(2028, 10, 8)) {
			t.Fatal("stored overrides not applied")
		}
		// Statutory data still applies where nothing was entered.
		if cal.IsWorkingDay(calendar.Date(2026, 10, 1)) || !cal.IsWorkingDay(calendar.Date(2026, 9, 20)) {
			t.Fatal("statutory 2026 data lost")
		}
		recs, _ := db.AuditRecords(ctx, store.AuditFilter{Action: "calendar.import"})
		if len(recs) != 1 || recs[0].Actor != "sys" {
			t.Fatalf("import audit: %+v", recs)
		}
	})
}
