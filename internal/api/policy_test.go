package api_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/policy"
	"dibao/internal/testenv"
)

type policyItem struct {
	Name, Label, Value, Display, Unit, Version, Group string
	Default                                           bool
}

func policyItems(t *testing.T, body []byte) map[string]policyItem {
	t.Helper()
	var r struct {
		RegionCode string `json:"region_code"`
		Date       string
		Items      []policyItem
	}
	if err := json.Unmarshal(body, &r); err != nil || len(r.Items) != len(policy.Defs()) {
		t.Fatalf("policy set: %v %s", err, body)
	}
	m := map[string]policyItem{}
	for _, x := range r.Items {
		m[x.Name] = x
	}
	return m
}

func TestPolicyAPI(t *testing.T) {
	srv, a := newServer(t)
	day, _ := time.ParseInLocation(time.DateOnly, "2026-03-10", calendar.Location())
	a.DB.SetClock(func() time.Time { return day.Add(10 * time.Hour) })
	testenv.User(t, a.DB, "admin", testenv.County, authz.CountyAdmin)
	testenv.User(t, a.DB, "approver", testenv.County, authz.CountyApprover)
	admin := login(t, srv, "admin")
	county := string(testenv.County)

	// Today: the default.
	code, body := call(t, srv, "GET", "/policy", admin, nil)
	if code != 200 {
		t.Fatalf("list: %d %s", code, body)
	}
	if x := policyItems(t, body)[policy.PublicityWD]; x.Value != "7" || x.Version != policy.DefaultVersion ||
		x.Display != "7 工作日" || x.Unit != "工作日" || x.Group != string(policy.GroupWorkflow) || x.Label != "公示期" {
		t.Fatalf("publicity today: %+v", x)
	}

	// A version from a future date.
	set := map[string]any{"region_code": county, "value": 10, "effective_from": "2026-04-01", "note": "县民政局〔2026〕3号"}
	code, body = call(t, srv, "POST", "/policy/"+policy.PublicityWD, admin, set)
	if code != 201 {
		t.Fatalf("set: %d %s", code, body)
	}
	var created struct{ Version, Value, EffectiveFrom string }
	_ = json.Unmarshal(body, &created)
	if !strings.HasPrefix(created.Version, county+"@2026-04-01#") || created.Value != "10" {
		t.Fatalf("created: %s", body)
	}

	_, body = call(t, srv, "GET", "/policy?region="+county, admin, nil)
	if x := policyItems(t, body)[policy.PublicityWD]; x.Value != "7" || !x.Default {
		t.Errorf("a future version changed today: %+v", x)
	}
	_, body = call(t, srv, "GET", "/policy?region="+county+"&date=2026-04-01", admin, nil)
	if x := policyItems(t, body)[policy.PublicityWD]; x.Value != "10" || x.Version != created.Version {
		t.Errorf("on the effective date: %+v", x)
	}
	// A village resolves through its township and county.
	_, body = call(t, srv, "GET", "/policy?region="+string(testenv.VillageA)+"&date=2026-05-01", admin, nil)
	if x := policyItems(t, body)[policy.PublicityWD]; x.Value != "10" {
		t.Errorf("village: %+v", x)
	}

	history := func() []map[string]any {
		t.Helper()
		code, body := call(t, srv, "GET", "/policy/"+policy.PublicityWD+"/history?region="+county, admin, nil)
		var r struct{ Items []map[string]any }
		if code != 200 || json.Unmarshal(body, &r) != nil {
			t.Fatalf("history: %d %s", code, body)
		}
		return r.Items
	}
	if h := history(); len(h) != 1 || h[0]["value"] != "10" || h[0]["version"] != created.Version ||
		h[0]["note"] != "县民政局〔2026〕3号" || h[0]["created_by"] != "admin" || h[0]["superseded"] != false {
		t.Fatalf("history: %v", h)
	}

	// Refusals are structured, name the field, and store nothing.
	for _, tc := range []struct {
		name  string
		patch map[string]any
		code  int
		field string
		want  string
	}{
		{"out of range", map[string]any{"value": "5"}, 400, "value", "取值范围为 7 至 30 工作日"},
		{"too high", map[string]any{"value": 31}, 400, "value", "不能为 31"},
		{"backdated", map[string]any{"effective_from": "2026-03-09"}, 400, "effective_from", policy.MsgBackdated},
		{"bad date", map[string]any{"effective_from": "2026/04/01"}, 400, "effective_from", "YYYY-MM-DD"},
		{"no note", map[string]any{"note": ""}, 400, "note", "调整说明"},
		{"village", map[string]any{"region_code": string(testenv.VillageA)}, 400, "region_code", policy.MsgRegionLevel},
		{"county only", map[string]any{"region_code": string(testenv.TownA)}, 400, "region_code", "只能由县（区）统一设置"},
		{"unknown region", map[string]any{"region_code": "130199109000"}, 404, "region_code", "行政区划不存在"},
		{"other county", map[string]any{"region_code": "130124000000"}, 403, "region_code", "管辖范围"},
		{"object value", map[string]any{"value": map[string]any{}}, 400, "value", ""},
	} {
		req := map[string]any{}
		for k, v := range set {
			req[k] = v
		}
		for k, v := range tc.patch {
			req[k] = v
		}
		code, body := call(t, srv, "POST", "/policy/"+policy.PublicityWD, admin, req)
		e := decodeErr(t, body)
		if code != tc.code || e.Error.Field != tc.field || !strings.Contains(e.Error.Message, tc.want) {
			t.Errorf("%s: %d %s", tc.name, code, body)
		}
	}
	if h := history(); len(h) != 1 {
		t.Fatalf("%d versions after refusals", len(h))
	}
	// Several problems at once come back together.
	code, body = call(t, srv, "POST", "/policy/"+policy.PublicityWD, admin,
		map[string]any{"region_code": county, "value": "5", "effective_from": "2026-03-01", "note": " "})
	if e := decodeErr(t, body); code != 400 || len(e.Error.Details) != 3 {
		t.Errorf("several problems: %d %s", code, body)
	}

	// Who may read, who may write.
	appr := login(t, srv, "approver")
	if code, _ := call(t, srv, "GET", "/policy", appr, nil); code != 200 {
		t.Errorf("approver read: %d", code)
	}
	code, body = call(t, srv, "POST", "/policy/"+policy.PublicityWD, appr, set)
	if code != 403 || decodeErr(t, body).Error.Message != policy.MsgNoPermission {
		t.Errorf("approver write: %d %s", code, body)
	}
	code, body = call(t, srv, "POST", "/policy/"+policy.CertificationGate, admin,
		map[string]any{"region_code": county, "value": "enforce", "effective_from": "2026-04-01", "note": "x"})
	if code != 403 || !strings.Contains(decodeErr(t, body).Error.Message, "系统管理员") {
		t.Errorf("county admin on a system parameter: %d %s", code, body)
	}
	clerk := login(t, srv, "clerk")
	for _, path := range []string{"/policy", "/policy/" + policy.PublicityWD + "/history"} {
		if code, body := call(t, srv, "GET", path, clerk, nil); code != 403 || decodeErr(t, body).Error.Code != "forbidden" {
			t.Errorf("clerk %s: %d %s", path, code, body)
		}
	}
	if code, _ := call(t, srv, "POST", "/policy/"+policy.PublicityWD, clerk, set); code != 403 {
		t.Errorf("clerk write: %d", code)
	}
	if h := history(); len(h) != 1 {
		t.Fatalf("%d versions after forbidden writes", len(h))
	}

	// Bad queries.
	code, body = call(t, srv, "GET", "/policy?date=2026-02-30", admin, nil)
	if e := decodeErr(t, body); code != 400 || e.Error.Field != "date" {
		t.Errorf("bad date: %d %s", code, body)
	}
	code, body = call(t, srv, "GET", "/policy/no_such/history", admin, nil)
	if e := decodeErr(t, body); code != 404 || e.Error.Field != "name" {
		t.Errorf("unknown parameter: %d %s", code, body)
	}
}
