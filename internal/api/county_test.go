package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"dibao/internal/api"
	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/money"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// countyServer is the API over db with a county admin, a township A officer
// and a small register: village A 赵一 (A, 300) with a decision in force and
// a change, 钱二 (urban B, 500); village B 李四 (A, 800); and one open
// application in village A past its step deadline.
func countyServer(t *testing.T, db *store.DB) (srv *httptest.Server, zhao, li int64) {
	t.Helper()
	testenv.SeedRegions(t, db)
	testenv.User(t, db, "admin", testenv.County, authz.CountyAdmin)
	testenv.User(t, db, "towna", testenv.TownA, authz.TownshipOfficer)
	ben := `{"Outcome":"eligible","Eligible":true,"Amount":30000,"Categories":["elderly"],"Used":["standard_rural"],"Versions":{"standard_rural":"pingan/2026-01-01"}}`
	zhao, _ = testenv.Recipient(t, db, testenv.RecipientSpec{Village: testenv.VillageA, Head: "赵一", Category: "A",
		Amount: money.FromYuan(300), Members: 2, Benefit: ben})
	testenv.Recipient(t, db, testenv.RecipientSpec{Village: testenv.VillageA, Head: "钱二", Urban: true, Amount: money.FromYuan(500)})
	li, _ = testenv.Recipient(t, db, testenv.RecipientSpec{Village: testenv.VillageB, Head: "李四", Category: "A", Amount: money.FromYuan(800)})
	testenv.History(t, db, time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC), store.HistoryEntry{HouseholdID: zhao, Kind: "decrease",
		OldAmount: money.FromYuan(350), NewAmount: money.FromYuan(300), EffectiveMonth: "2026-03", Reason: "收入增加"})
	d0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	testenv.Case(t, db, testenv.CaseSpec{Village: testenv.VillageA, Head: "甲", DueDate: "2026-03-10",
		Steps: []testenv.Step{{To: "draft", At: d0}, {To: "submitted", At: d0.Add(48 * time.Hour)}}})
	now := time.Date(2026, 3, 15, 10, 0, 0, 0, calendar.Location())
	db.SetClock(func() time.Time { return now })
	a := app.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv = httptest.NewServer(api.New(a))
	t.Cleanup(srv.Close)
	return srv, zhao, li
}

func TestCountyAPI(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		srv, zhao, li := countyServer(t, db)
		admin := login(t, srv, "admin")
		town := login(t, srv, "towna")

		code, body := call(t, srv, "GET", "/stats/county", admin, nil)
		var st struct {
			Region     string
			Households int
			Amount     string
			ByCategory []struct {
				Category   string
				Households int
			} `json:"by_category"`
			BySupplement []struct {
				Code       string
				Households int
			} `json:"by_supplement"`
			ByTownship []struct {
				Township   string
				Households int
			} `json:"by_township"`
			MonthsSource string `json:"months_source"`
			Stages       []struct {
				State      string
				Cases      int
				Overdue    int
				MedianDays *float64 `json:"median_days"`
			}
			OpenCases int `json:"open_cases"`
			Overdue   int
		}
		if code != 200 || json.Unmarshal(body, &st) != nil {
			t.Fatalf("stats: %d %s", code, body)
		}
		if st.Region != string(testenv.County) || st.Households != 3 || st.Amount != "1600.00" || len(st.ByCategory) != 2 ||
			st.ByCategory[0].Households != 2 || len(st.BySupplement) != 1 || st.BySupplement[0].Code != "elderly" ||
			len(st.ByTownship) != 2 || st.MonthsSource != "register" || st.OpenCases != 1 || st.Overdue != 1 {
			t.Errorf("stats %+v", st)
		}
		found := false
		for _, s := range st.Stages {
			if s.State == "draft" {
				found = s.MedianDays != nil && *s.MedianDays == 2
			}
		}
		if !found {
			t.Errorf("draft median: %s", body)
		}
		code, body = call(t, srv, "GET", "/stats/county?region="+string(testenv.TownA), admin, nil)
		if code != 200 || json.Unmarshal(body, &st) != nil || st.Households != 2 {
			t.Errorf("township stats: %d %s", code, body)
		}
		if code, body = call(t, srv, "GET", "/stats/county?region=abc", admin, nil); code != 400 ||
			decodeErr(t, body).Error.Field != "region" {
			t.Errorf("bad region: %d %s", code, body)
		}
		if code, body = call(t, srv, "GET", "/stats/county", town, nil); code != 403 {
			t.Errorf("township officer: %d %s", code, body)
		}

		// The detail, with the benefit in force and the history in order.
		code, body = call(t, srv, "GET", fmt.Sprintf("/recipients/%d", zhao), town, nil)
		var d struct {
			HouseholdID  int64 `json:"household_id"`
			Amount       string
			BenefitKnown bool              `json:"benefit_known"`
			Benefit      map[string]any    `json:"benefit"`
			Versions     map[string]string `json:"parameter_versions"`
			History      []struct{ Kind string }
		}
		if code != 200 || json.Unmarshal(body, &d) != nil {
			t.Fatalf("detail: %d %s", code, body)
		}
		if d.HouseholdID != zhao || d.Amount != "300.00" || !d.BenefitKnown || d.Benefit["Outcome"] != "eligible" ||
			d.Versions["standard_rural"] != "pingan/2026-01-01" || len(d.History) != 2 || d.History[0].Kind != "enrolled" ||
			d.History[1].Kind != "decrease" {
			t.Errorf("detail %s", body)
		}
		if code, body = call(t, srv, "GET", fmt.Sprintf("/recipients/%d", li), town, nil); code != 404 {
			t.Errorf("another township's recipient: %d %s", code, body)
		}

		// The list: paging with a total, and a region filter within scope.
		code, body = call(t, srv, "GET", "/recipients?page=2&page_size=2", admin, nil)
		var l struct {
			Items []struct {
				HouseholdID int64 `json:"household_id"`
			}
			Total, Page int
		}
		if code != 200 || json.Unmarshal(body, &l) != nil || l.Total != 3 || l.Page != 2 || len(l.Items) != 1 || l.Items[0].HouseholdID != li {
			t.Errorf("page 2: %d %s", code, body)
		}
		if code, body = call(t, srv, "GET", "/recipients?region="+string(testenv.TownA), admin, nil); code != 200 ||
			json.Unmarshal(body, &l) != nil || len(l.Items) != 2 {
			t.Errorf("township A list: %d %s", code, body)
		}
		if code, body = call(t, srv, "GET", "/recipients?region="+string(testenv.VillageB), town, nil); code != 403 {
			t.Errorf("outside scope: %d %s", code, body)
		}
		if code, body = call(t, srv, "GET", "/recipients?page_size=500", admin, nil); code != 400 ||
			decodeErr(t, body).Error.Field != "page_size" {
			t.Errorf("page_size 500: %d %s", code, body)
		}
	})
}
