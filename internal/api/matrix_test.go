package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"dibao/internal/api"
	"dibao/internal/authz"
	"dibao/internal/idcard"
	"dibao/internal/ledger/ledgertest"
	"dibao/internal/practical"
	"dibao/internal/region"
	"dibao/internal/roster"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// mxRoute classifies one route of api.Routes for the access matrix: the
// kind of fixture object its path (or body) addresses, and how to build a
// schema-valid request for an object. A route missing here fails the test,
// so the matrix grows with the route table.
type mxRoute struct {
	kind     string // fixture object kind; "" = the route addresses no object (lists, own data, global)
	body     func(f *mxFixture, o mxObj) any
	query    func(f *mxFixture, o mxObj) string
	upload   func(f *mxFixture, o mxObj) []byte // multipart "file"
	reveal   bool                               // the route shows sensitive values in full to holders of sensitive.reveal
	public   bool
	parentOK bool   // an object above the caller's region may be used (a county plan's exam is taken by village staff)
	countyOK bool   // any object of the caller's county may be read (the de-identified case library)
	bodyRef  bool   // the object is named in the body: a foreign one may also be refused as invalid (400 "不存在")
	late     bool   // run after the other writes (it ends the object's life: a submit)
	list     string // the kind of the rows under "items": each must be visible to the caller
	listKey  string // the rows' id field (default "id")
	// sample: the route's file carries a fixed, fictional example row
	// (the 台账 template), not anyone's data.
	sample bool
	// foreignOK accepts a success on a foreign object when the response
	// shows nothing was taken from it (a 台账 upload whose foreign rows are
	// all refused is a batch of the caller's own county).
	foreignOK func(body []byte) bool
}

// mxNoControl lists the routes the matrix cannot yet drive to a success in
// scope, and why; every other route must succeed for some caller in scope,
// or its refusals elsewhere would prove nothing.
var mxNoControl = map[string]string{
	"GET /review-tasks/{id}/notice": "a notice exists only after a decided reduction or stop; the fixture decides none",
}

// mxRegionOf is, per kind, the query of an object's region by id.
var mxRegionOf = map[string]string{
	"household":       "SELECT region_code FROM households WHERE id = ?",
	"case":            "SELECT region_code FROM cases WHERE id = ?",
	"recipient":       "SELECT region_code FROM recipients WHERE household_id = ?",
	"roster":          "SELECT county FROM rosters WHERE id = ?",
	"report":          "SELECT region_code FROM change_reports WHERE id = ?",
	"spot":            "SELECT region_code FROM spot_checks WHERE id = ?",
	"review":          "SELECT region_code FROM review_tasks WHERE id = ?",
	"exam":            "SELECT p.region_code FROM exams e JOIN training_plans p ON p.id = e.plan_id WHERE e.id = ?",
	"run":             "SELECT u.region_code FROM practical_runs r JOIN users u ON u.id = r.user_id WHERE r.id = ?",
	"standard":        "SELECT county FROM standard_changes WHERE id = ?",
	"ledger":          "SELECT county FROM ledger_imports WHERE id = ?",
	"library":         "SELECT c.region_code FROM library_cases l JOIN cases c ON c.id = l.source_case_id WHERE l.id = ?",
	"archive":         "SELECT region_code FROM archive_records WHERE id = ?",
	"archive-request": "SELECT u.region_code FROM archive_requests r JOIN users u ON u.id = r.user_id WHERE r.id = ?",
	"plan":            "SELECT region_code FROM training_plans WHERE id = ?",
	"attempt":         "SELECT u.region_code FROM exam_attempts a JOIN users u ON u.id = a.person_id WHERE a.id = ?",
}

func (f *mxFixture) version(table string, o mxObj, key string) int64 {
	r := f.rows("SELECT CAST(version AS TEXT) FROM "+table+" WHERE id = ?", mustInt(o.params[key]))
	if len(r) == 0 {
		return 0
	}
	return mustInt(r[0][0])
}

var mxSeq int

func mxNewID() string {
	mxSeq++
	return string(idcard.Make("130199", time.Date(1960, 1, 1+mxSeq%28, 0, 0, 0, 0, time.UTC), 100+mxSeq%800))
}

func mxRoutes() map[string]mxRoute {
	hhVersion := func(f *mxFixture, o mxObj) string {
		return fmt.Sprintf("?version=%d", f.version("households", o, "id"))
	}
	caseBody := func(f *mxFixture, o mxObj) any {
		return map[string]any{"version": f.version("cases", o, "id"),
			"values": map[string][]string{"application_date": {time.Now().Format(time.DateOnly)}}}
	}
	none := func(*mxFixture, mxObj) any { return map[string]any{} }
	return map[string]mxRoute{
		"POST /login":          {public: true},
		"GET /openapi.json":    {public: true},
		"POST /logout":         {}, // run last, per caller
		"GET /me":              {},
		"GET /regions":         {},
		"GET /households":      {list: "household"},
		"POST /households":     {kind: "village", body: func(f *mxFixture, o mxObj) any { return mxHousehold(o.region, 0) }},
		"GET /households/{id}": {kind: "household"},
		"PUT /households/{id}": {kind: "household", body: func(f *mxFixture, o mxObj) any {
			return mxHousehold(o.region, f.version("households", o, "id"))
		}},
		"POST /households/{id}/incomes": {kind: "household", body: func(f *mxFixture, o mxObj) any {
			return map[string]any{"version": f.version("households", o, "id"), "kind": "transfer", "description": "子女赡养", "amount": "3600", "months": "12"}
		}},
		"DELETE /households/{id}/incomes/{item}": {kind: "income", query: hhVersion},
		"POST /households/{id}/properties": {kind: "household", body: func(f *mxFixture, o mxObj) any {
			return map[string]any{"version": f.version("households", o, "id"), "kind": "vehicle", "description": "电动三轮车", "value": "3000", "quantity": "1"}
		}},
		"DELETE /households/{id}/properties/{item}": {kind: "property", query: hhVersion},
		"POST /households/{id}/reveal": {kind: "household", reveal: true, body: func(f *mxFixture, o mxObj) any {
			return map[string]any{"field": "bank_account"}
		}},
		"GET /audit": {},
		"GET /queue": {list: "case"},
		"GET /cases": {list: "case"},
		"POST /cases": {kind: "free-household", body: func(f *mxFixture, o mxObj) any {
			return map[string]any{"household_id": mustInt(o.params["household"]), "relatives": map[string]any{"none": true}}
		}},
		"GET /cases/{id}": {kind: "case"},
		"PUT /cases/{id}/materials": {kind: "case", body: func(f *mxFixture, o mxObj) any {
			return map[string]any{"version": f.version("cases", o, "id"), "items": mxMaterials()}
		}},
		"POST /cases/{id}/actions/{transition}": {kind: "case-intake", body: caseBody},
		"POST /cases/{id}/files":                {kind: "case", query: func(*mxFixture, mxObj) string { return "?material=application" }, upload: func(*mxFixture, mxObj) []byte { return []byte("%PDF-1.4 x") }},
		"GET /cases/{id}/documents/{number}":    {kind: "document"},
		"GET /files/{token}":                    {kind: "file"},
		"GET /workflows":                        {},
		"GET /recipients":                       {list: "recipient", listKey: "household_id"},
		"GET /recipients/{household}/history":   {kind: "recipient"},
		"GET /recipients/{household}":           {kind: "recipient"},
		"POST /rosters": {kind: "county", body: func(f *mxFixture, o mxObj) any {
			return map[string]any{"county": o.params["county"], "month": mxNextMonth()}
		}},
		"GET /rosters":                   {list: "roster", query: func(*mxFixture, mxObj) string { return "?county={county}" }},
		"GET /rosters/{id}":              {kind: "roster"},
		"POST /rosters/{id}/approve":     {kind: "roster-draft", body: none},
		"GET /rosters/{id}/bank.csv":     {kind: "roster", reveal: true},
		"GET /rosters/{id}/diff":         {kind: "roster"},
		"GET /rosters/{id}/rows.xlsx":    {kind: "roster"},
		"GET /rosters/{id}/repay.csv":    {kind: "roster", reveal: true},
		"POST /rosters/{id}/bank-result": {kind: "roster-last", upload: mxBankResult},
		"GET /policy":                    {},
		"GET /policy/{name}/history":     {kind: "policy", query: func(f *mxFixture, o mxObj) string { return "?region=" + string(o.region) }},
		"POST /policy/{name}": {kind: "policy", body: func(f *mxFixture, o mxObj) any {
			return map[string]any{"region_code": string(o.region), "value": 61, "effective_from": "2027-01-01", "note": "矩阵测试"}
		}},
		"GET /archive/records":      {list: "archive"},
		"GET /archive/records/{id}": {kind: "archive"},
		"GET /archive/requests":     {list: "archive-request", query: func(*mxFixture, mxObj) string { return "?all=true" }},
		"POST /archive/requests": {kind: "archive", bodyRef: true, body: func(f *mxFixture, o mxObj) any {
			return map[string]any{"purpose": "复盘", "record_id": mustInt(o.params["id"]), "days": 3}
		}},
		"POST /archive/requests/{id}/approve": {kind: "archive-request", body: func(*mxFixture, mxObj) any { return map[string]any{"days": 2} }},
		"POST /archive/requests/{id}/refuse":  {kind: "archive-request-r", body: func(*mxFixture, mxObj) any { return map[string]any{"reason": "不需要"} }},
		"GET /archive/reads":                  {},
		"GET /training/plans/{id}/results":    {kind: "plan", parentOK: true},
		"POST /training/plans/{id}/daily-scores": {kind: "plan", parentOK: true, body: func(f *mxFixture, o mxObj) any {
			return map[string]any{"person_id": f.by["township"].id, "participation": 5, "homework": 5}
		}},
		"GET /me/certifications":       {},
		"GET /training/appraisal.xlsx": {query: func(*mxFixture, mxObj) string { return "?from=2026-01-01&to=2026-12-31" }},
		"GET /stats/county":            {},
		"GET /questions":               {},
		"POST /questions": {body: func(*mxFixture, mxObj) any {
			return map[string]any{"kind": "truefalse", "category": "policy_law", "difficulty": 2, "stem": "低保审核确认权在县级。", "correct": []int{0}}
		}},
		"GET /questions/{id}": {kind: "question"},
		"PUT /questions/{id}": {kind: "question", body: func(*mxFixture, mxObj) any {
			return map[string]any{"kind": "truefalse", "category": "policy_law", "difficulty": 2, "stem": "低保审核确认权在县级民政部门。", "correct": []int{0}}
		}},
		"DELETE /questions/{id}":   {kind: "question"},
		"GET /questions.xlsx":      {},
		"POST /questions/import":   {upload: func(f *mxFixture, _ mxObj) []byte { return f.api("trainadmin", "GET", "/questions.xlsx", nil) }},
		"GET /exams":               {list: "exam", parentOK: true},
		"POST /exams":              {kind: "plan", bodyRef: true, body: mxExam},
		"GET /exams/{id}/attempts": {kind: "exam", parentOK: true, list: "attempt"},
		"POST /exams/{id}/attempts": {kind: "exam", parentOK: true, body: func(*mxFixture, mxObj) any {
			return map[string]any{"kind": "first"}
		}},
		"GET /attempts/{id}":                    {kind: "attempt"},
		"PUT /attempts/{id}/answers/{question}": {kind: "attempt", body: func(*mxFixture, mxObj) any { return map[string]any{"values": []string{"true"}} }},
		"POST /attempts/{id}/submit":            {kind: "attempt", late: true, body: none},
		"POST /attempts/{id}/events":            {kind: "attempt", body: func(*mxFixture, mxObj) any { return map[string]any{"kind": "leave"} }},
		"GET /ledger/template.xlsx":             {sample: true},
		"GET /ledger-imports":                   {list: "ledger"},
		"POST /ledger-imports": {kind: "village", foreignOK: mxNoValidRows, upload: func(f *mxFixture, o mxObj) []byte {
			return ledgertest.Workbook(f.t, ledgertest.Rows(2, o.region))
		}},
		"GET /ledger-imports/{id}":          {kind: "ledger"},
		"POST /ledger-imports/{id}/confirm": {kind: "ledger", body: none},
		"POST /ledger-imports/{id}/cancel":  {kind: "ledger-x", body: none},
		"GET /library":                      {list: "library", countyOK: true},
		"POST /library": {kind: "closed-case", body: func(f *mxFixture, o mxObj) any {
			return map[string]any{"case_id": mustInt(o.params["id"])}
		}},
		"GET /library/{id}": {kind: "library", countyOK: true},
		"POST /library/{id}/review": {kind: "library", body: func(*mxFixture, mxObj) any {
			return map[string]any{"approve": true, "note": "已核"}
		}},
		"POST /library/{id}/tags":    {kind: "library", body: func(*mxFixture, mxObj) any { return map[string]any{"topics": []string{"收入核算"}} }},
		"GET /library/{id}/scenario": {kind: "library", countyOK: true},
		"GET /change-reports":        {list: "report"},
		"POST /change-reports": {kind: "recipient", body: func(f *mxFixture, o mxObj) any {
			return map[string]any{"household_id": mustInt(o.params["household"]), "kind": "income_up", "detail": "外出务工", "changed_on": time.Now().Format(time.DateOnly)}
		}},
		"GET /change-reports/{id}": {kind: "report"},
		"POST /change-reports/{id}/actions/{transition}": {kind: "report-withdraw", body: func(f *mxFixture, o mxObj) any {
			return map[string]any{"version": f.version("change_reports", o, "id"), "reason": "重复报告"}
		}},
		"GET /spot-checks":      {list: "spot"},
		"POST /spot-checks":     {body: func(*mxFixture, mxObj) any { return map[string]any{"seed": "11"} }},
		"GET /spot-checks/{id}": {kind: "spot"},
		"POST /spot-checks/{id}/results": {kind: "spot", body: func(f *mxFixture, o mxObj) any {
			hh := f.rows("SELECT CAST(household_id AS TEXT) FROM spot_check_results WHERE spot_check_id = ? LIMIT 1", mustInt(o.params["id"]))
			h := int64(0)
			if len(hh) > 0 {
				h = mustInt(hh[0][0])
			}
			return map[string]any{"household_id": h, "finding": "confirmed", "note": "复核无误"}
		}},
		"GET /review-tasks":           {list: "review"},
		"POST /review-tasks/generate": {body: none},
		"GET /review-tasks/{id}":      {kind: "review"},
		"POST /review-tasks/{id}/actions/{transition}": {kind: "review-propose", body: func(f *mxFixture, o mxObj) any {
			return map[string]any{"version": f.version("review_tasks", o, "id"), "values": map[string][]string{
				"verified_on": {time.Now().Format(time.DateOnly)}, "income_check": {"无变化"}, "property_check": {"无变化"}}}
		}},
		"GET /review-tasks/{id}/notice":   {kind: "review"},
		"GET /sandbox/scenarios":          {},
		"GET /sandbox/runs":               {list: "run"},
		"POST /sandbox/runs":              {body: func(*mxFixture, mxObj) any { return map[string]any{"scenario": "supplement", "attempt": "makeup"} }},
		"GET /sandbox/runs/{id}":          {kind: "run"},
		"POST /sandbox/runs/{id}/advance": {kind: "run", body: func(*mxFixture, mxObj) any { return map[string]any{"days": 1} }},
		"POST /sandbox/runs/{id}/finish":  {kind: "run", late: true, body: func(*mxFixture, mxObj) any { return map[string]any{"amount": "100.00"} }},
		"POST /sandbox/runs/{id}/rubric": {kind: "run", late: true, body: func(*mxFixture, mxObj) any {
			sc, _ := practical.ScenarioByID("incomplete")
			scores := map[string]int{}
			for _, r := range sc.Rubric {
				scores[r.Code] = r.Max
			}
			return map[string]any{"scores": scores}
		}},
		"GET /sandbox/cases/{id}": {kind: "sandbox-case"},
		"PUT /sandbox/cases/{id}/materials": {kind: "sandbox-case", body: func(f *mxFixture, o mxObj) any {
			return map[string]any{"version": f.sandboxVersion(o), "items": mxMaterials()}
		}},
		"POST /sandbox/cases/{id}/actions/{transition}": {kind: "sandbox-case-accept", body: func(f *mxFixture, o mxObj) any {
			return map[string]any{"version": f.sandboxVersion(o), "values": map[string][]string{"application_date": {time.Now().Format(time.DateOnly)}}}
		}},
		"POST /standard-changes": {kind: "county", body: func(f *mxFixture, o mxObj) any {
			return map[string]any{"county": o.params["county"], "urban": "960", "rural": "710", "effective_month": "2027-02"}
		}},
		"GET /standard-changes":               {list: "standard"},
		"GET /standard-changes/{id}":          {kind: "standard"},
		"POST /standard-changes/{id}/confirm": {kind: "standard", body: none},
		"GET /standard-changes/{id}/progress": {kind: "standard"},
	}
}

func mxNoValidRows(body []byte) bool {
	var r struct {
		Valid *int `json:"valid"`
	}
	return json.Unmarshal(body, &r) == nil && r.Valid != nil && *r.Valid == 0
}

// mxBankResult is the bank's answer to the roster's payment file: every
// line paid.
func mxBankResult(f *mxFixture, o mxObj) []byte {
	bank := f.api("county", "GET", "/rosters/"+o.params["id"]+"/bank.csv", nil)
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(bank, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		f.t.Fatalf("bank file: %v", err)
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	for i, rec := range recs {
		switch {
		case i == 0:
			rec = append(rec, roster.ResultColumn, roster.ReasonColumn)
		case rec[0] == roster.TotalLabel:
			rec = append(rec, "", "")
		default:
			rec = append(rec, roster.ResultPaid, "")
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	return buf.Bytes()
}

func mxMaterials() []map[string]string {
	var items []map[string]string
	for _, m := range []string{"application", "id_card", "household_register", "income_proof", "property_declaration", "authorisation", "promise"} {
		items = append(items, map[string]string{"code": m, "status": "ok"})
	}
	return items
}

// sandboxVersion reads a sandbox case's version as its trainee sees it.
func (f *mxFixture) sandboxVersion(o mxObj) int64 {
	for _, u := range f.users {
		if u.id == o.owner {
			code, body := call(f.t, f.srv, "GET", "/sandbox/cases/"+o.params["id"], u.token, nil)
			var c struct{ Version int64 }
			if code == 200 && json.Unmarshal(body, &c) == nil {
				return c.Version
			}
		}
	}
	return 0
}

func mxNextMonth() string { return time.Now().AddDate(0, 1, 0).Format("2006-01") }

func mxHousehold(r region.Code, version int64) map[string]any {
	h := map[string]any{"region_code": string(r), "address": "矩阵路1号", "urban": "rural", "phone": "13900001111", "bank_name": "农村信用社",
		"members": []map[string]string{{"name": "矩阵", "relation": "head", "id_number": mxNewID(), "labour": "none", "health": "healthy", "co_resident": "1"}}}
	if version > 0 {
		h["version"] = version
	}
	return h
}

func mxExam(f *mxFixture, o mxObj) any {
	now := time.Now()
	return map[string]any{"title": "矩阵测验", "plan_id": mustInt(o.params["id"]), "opens_at": now, "closes_at": now.Add(24 * time.Hour),
		"minutes": 30, "review": "score", "paper": map[string]any{"fixed": []map[string]any{{"question_id": mustInt(f.rows("SELECT CAST(MAX(id) AS TEXT) FROM exam_questions")[0][0]), "points": 100}}}, "seed": 1}
}

// mxKinds maps the route kinds that need a fixed path parameter to the
// object kind they draw from.
var mxKinds = map[string]struct{ kind, param, value string }{
	"case-intake":         {"case", "transition", "intake"},
	"report-withdraw":     {"report", "transition", "withdraw"},
	"review-propose":      {"review", "transition", "propose"},
	"sandbox-case-accept": {"sandbox-case", "transition", "accept"},
}

type mxResult struct {
	route, user, variant string
	code                 int
}

func mxVariant(u *mxUser, o mxObj) string {
	switch {
	case o.region == "":
		return "global"
	case o.region.Within(u.region):
		return "own"
	case u.region.Within(o.region):
		return "parent"
	case o.region.County() != u.region.County():
		return "other-county"
	}
	return "sibling"
}

// foreign reports whether o lies outside what u may address on the route.
func (f *mxFixture) foreign(spec mxRoute, u *mxUser, o mxObj) bool {
	if spec.kind == "" || o.region == "" {
		return false
	}
	if o.region.Within(u.region) {
		return false
	}
	if spec.countyOK && o.region.County() == u.region.County() {
		return false
	}
	return !(spec.parentOK && u.region.Within(o.region))
}

var mxRegionCache = map[string]region.Code{}

// listForeign lists the rows of a list response that u may not see.
func (f *mxFixture) listForeign(spec mxRoute, u *mxUser, body []byte) []string {
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) != nil || doc["items"] == nil {
		return []string{"no items array"}
	}
	var items []map[string]any
	if err := json.Unmarshal(doc["items"], &items); err != nil {
		return []string{"items is not a list of objects"}
	}
	keyName := spec.listKey
	if keyName == "" {
		keyName = "id"
	}
	var out []string
	for _, it := range items {
		id, ok := it[keyName].(float64)
		if !ok {
			out = append(out, "a row without "+keyName)
			continue
		}
		ck := fmt.Sprintf("%s/%d/%v", spec.list, int64(id), f.db.Dialect())
		r, ok := mxRegionCache[ck]
		if !ok {
			rs := f.rows(mxRegionOf[spec.list], int64(id))
			if len(rs) > 0 {
				r = region.Code(rs[0][0])
			}
			mxRegionCache[ck] = r
		}
		if f.foreign(mxRoute{kind: spec.list, parentOK: spec.parentOK, countyOK: spec.countyOK}, u, mxObj{region: r}) || r == "" {
			out = append(out, fmt.Sprintf("%s %d of %s", spec.list, int64(id), r))
		}
	}
	return out
}

func (f *mxFixture) auditCount() int64 {
	r := f.rows("SELECT CAST(COUNT(*) AS TEXT) FROM audit_log WHERE result <> 'denied'")
	return mustInt(r[0][0])
}

// send builds the request of u on o (bodies may read the store or call the
// API themselves), calls before() once it is built, then sends it.
func (f *mxFixture) send(u *mxUser, rt api.Route, spec mxRoute, o mxObj, before func()) (int, string, []byte) {
	path := rt.Path
	for k, v := range o.params {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	if spec.query != nil {
		path += strings.ReplaceAll(spec.query(f, o), "{county}", string(u.region.County()))
	}
	if spec.upload != nil {
		data := spec.upload(f, o)
		before()
		code, body := mxUpload(f.t, f.srv, path, u.token, "file", "matrix.xlsx", data)
		return code, path, body
	}
	var body any
	if spec.body != nil {
		body = spec.body(f, o)
	}
	before()
	if body != nil {
		code, out := call(f.t, f.srv, rt.Method, path, u.token, body)
		return code, path, out
	}
	req, _ := http.NewRequest(rt.Method, f.srv.URL+"/api/v1"+path, nil)
	req.Header.Set("Authorization", "Bearer "+u.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, path, out
}

// TestAccessMatrix tries every route of api.Routes as every role from its
// own region, a sibling village, township and county, on objects of its own
// region, a sibling's and its parent's: an object outside the caller's scope
// is never returned or changed, no response names a region outside the
// caller's scope, and no response holds a clear ID, phone or bank number
// unless the caller may reveal and the route is the reveal.
func TestAccessMatrix(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		start := time.Now()
		f := matrixFixture(t, db)
		specs := mxRoutes()
		routes := api.Routes(f.a)
		seen := map[string]bool{}
		for _, rt := range routes {
			key := rt.Method + " " + rt.Path
			seen[key] = true
			spec, ok := specs[key]
			if !ok {
				t.Errorf("route %s has no access-matrix classification: add it to mxRoutes", key)
				continue
			}
			if spec.public != rt.Public {
				t.Errorf("route %s: public=%v, matrix says %v", key, rt.Public, spec.public)
			}
			if k := spec.kind; k != "" {
				if m, ok := mxKinds[k]; ok {
					k = m.kind
				}
				if len(f.objs[k]) == 0 {
					t.Errorf("route %s: no fixture objects of kind %q", key, spec.kind)
				}
			}
		}
		for key := range specs {
			if !seen[key] {
				t.Errorf("matrix classifies %s, which is not in the route table", key)
			}
		}
		var results []mxResult
		violations := 0
		// One line per route and kind of violation, with its count.
		type vio struct {
			first string
			n     int
		}
		vios := map[string]*vio{}
		var vioKeys []string
		fail := func(format string, args ...any) {
			violations++
			msg := fmt.Sprintf(format, args...)
			k := strings.SplitN(msg, " as ", 2)[0] + " | " + format
			if vios[k] == nil {
				vios[k] = &vio{first: msg}
				vioKeys = append(vioKeys, k)
			}
			vios[k].n++
		}
		lastErr := map[string]string{}
		check := func(u *mxUser, key string, spec mxRoute, o mxObj, code int, path string, body []byte) {
			variant := mxVariant(u, o)
			if code/100 != 2 && !f.foreign(spec, u, o) && code != 403 && code != 401 && strings.Count(lastErr[key], "\n") < 3 {
				lastErr[key] += fmt.Sprintf("\n\t%s %d %.200s", u.name, code, body)
			}
			results = append(results, mxResult{key, u.name, variant, code})
			out := f.foreign(spec, u, o)
			if out && code/100 == 2 && spec.foreignOK != nil && spec.foreignOK(body) {
				return
			}
			if out && code/100 == 2 {
				fail("%s as %s (%s %s) on %s object %s: %d — cross-scope %s", key, u.name, u.role, u.region, variant, path, code,
					map[bool]string{true: "read", false: "write"}[strings.HasPrefix(key, "GET")])
			}
			if out && code != 403 && code != 404 && code != 401 && !(spec.bodyRef && code == 400 && strings.Contains(string(body), "不存在")) {
				fail("%s as %s on %s object %s: %d (want 403/404: the answer must not depend on the foreign object) %.200s", key, u.name, variant, path, code, body)
			}
			if s := sensitive(body); len(s) > 0 && !spec.sample && !(spec.reveal && code == 200 && u.principal().Can(authz.SensitiveReveal) && !out) {
				fail("%s as %s on %s: clear sensitive values %v", key, u.name, path, s[:min(3, len(s))])
			}
			if spec.list != "" && code == 200 {
				for _, bad := range f.listForeign(spec, u, body) {
					fail("%s as %s (%s %s) on %s: the list shows %s", key, u.name, u.role, u.region, path, bad)
				}
			}
			if c := foreignCodes(body, u); len(c) > 0 {
				fail("%s as %s (%s) on %s: response names regions outside the caller's scope %v", key, u.name, u.region, path, c[:min(3, len(c))])
			}
		}
		objsOf := func(spec mxRoute) ([]mxObj, bool) {
			if spec.kind == "" {
				return []mxObj{{params: map[string]string{}}}, true
			}
			k, fixed := spec.kind, mxKinds[spec.kind]
			if fixed.kind != "" {
				k = fixed.kind
			}
			var out []mxObj
			for _, o := range f.objs[k] {
				c := mxObj{region: o.region, owner: o.owner, params: map[string]string{}}
				for a, b := range o.params {
					c.params[a] = b
				}
				if fixed.param != "" {
					c.params[fixed.param] = fixed.value
				}
				out = append(out, c)
			}
			return out, false
		}
		// Phase 1: every read. Phase 2: every write on an object outside the
		// caller's scope, on the untouched fixture, with the audit log
		// counted around each. Phase 3: the writes in scope.
		for _, rt := range routes {
			key := rt.Method + " " + rt.Path
			spec, ok := specs[key]
			if !ok || rt.Public || rt.Method != "GET" {
				continue
			}
			objs, _ := objsOf(spec)
			for _, u := range f.users {
				for _, o := range objs {
					code, path, body := f.send(u, rt, spec, o, func() {})
					check(u, key, spec, o, code, path, body)
				}
			}
		}
		for phase := 2; phase <= 4; phase++ {
			for _, rt := range routes {
				key := rt.Method + " " + rt.Path
				spec, ok := specs[key]
				if !ok || rt.Public || rt.Method == "GET" || key == "POST /logout" {
					continue
				}
				objs, _ := objsOf(spec)
				for _, u := range f.users {
					for _, o := range objs {
						v := mxVariant(u, o)
						foreign := f.foreign(spec, u, o)
						if foreign != (phase == 2) || phase > 2 && spec.late != (phase == 4) {
							continue
						}
						var before int64
						code, path, body := f.send(u, rt, spec, o, func() {
							if foreign {
								before = f.auditCount()
							}
						})
						check(u, key, spec, o, code, path, body)
						if foreign && !(code/100 == 2 && spec.foreignOK != nil && spec.foreignOK(body)) {
							if after := f.auditCount(); after != before {
								fail("%s as %s on %s object %s: %d, and %d audit records were written", key, u.name, v, path, code, after-before)
							}
						}
					}
				}
			}
		}
		// The web pages over the same fixture.
		f.pages(t, fail)
		// Logout last.
		for _, u := range f.users {
			if code, _ := call(t, f.srv, "POST", "/logout", u.token, nil); code != 204 {
				t.Errorf("logout %s: %d", u.name, code)
			}
		}
		for _, k := range vioKeys {
			t.Errorf("%s (×%d)", vios[k].first, vios[k].n)
		}
		// Per route: how often each variant got through, for the log.
		type agg struct{ ok, denied int }
		sum := map[string]map[string]*agg{}
		for _, r := range results {
			if sum[r.route] == nil {
				sum[r.route] = map[string]*agg{}
			}
			a := sum[r.route][r.variant]
			if a == nil {
				a = &agg{}
				sum[r.route][r.variant] = a
			}
			if r.code/100 == 2 {
				a.ok++
			} else {
				a.denied++
			}
		}
		keys := make([]string, 0, len(sum))
		for k := range sum {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var noPositive []string
		for _, k := range keys {
			var parts []string
			okAny := false
			for _, v := range []string{"global", "own", "sibling", "parent", "other-county"} {
				if a := sum[k][v]; a != nil {
					parts = append(parts, fmt.Sprintf("%s %d/%d", v, a.ok, a.ok+a.denied))
					if v == "own" || v == "global" {
						okAny = okAny || a.ok > 0
					}
				}
			}
			if !okAny {
				noPositive = append(noPositive, k)
				if reason, ok := mxNoControl[k]; ok {
					t.Logf("%s: no in-scope success (%s); last refusal: %s", k, reason, lastErr[k])
				} else {
					t.Errorf("%s: no caller succeeded in scope, so its refusals prove nothing: fix the fixture or the body (last refusal: %s)", k, lastErr[k])
				}
			}
			t.Logf("%-48s %s", k, strings.Join(parts, ", "))
		}
		t.Logf("%d requests, %d routes without an in-scope success: %v", len(results), len(noPositive), noPositive)
		t.Logf("matrix run %v", time.Since(start))
		_ = context.Background()
	})
}
