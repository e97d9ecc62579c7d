package api_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"dibao/internal/access"
	"dibao/internal/api"
	"dibao/internal/app"
	"dibao/internal/archive"
	"dibao/internal/authz"
	"dibao/internal/casework"
	"dibao/internal/crosscheck"
	"dibao/internal/demo"
	"dibao/internal/exams"
	"dibao/internal/ledger/ledgertest"
	"dibao/internal/piiscan"
	"dibao/internal/practical"
	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
	"dibao/internal/training"
)

// The access matrix fixture. The demo county (平安县 130199) holds its
// applications, register, rosters, training, change reports and exams in
// 李家庄村 of 东湖镇 and at the county; households live in every village.
// Rather than copy every object into every region, the matrix moves the
// callers: each role has an account in the demo's own region and in a
// sibling (another village of the same township, another township, another
// county: 平和县 130198, added here), so that every object is seen from its
// own region, a sibling and — for county-level objects and township
// callers — from below its parent. A few objects are written in the
// sibling county too (a training plan, an archive record, a ledger batch,
// a standard change, sandbox runs, archive requests).

const (
	mxCounty2  = region.Code("130198000000")
	mxTown2    = region.Code("130198101000")
	mxVillage2 = region.Code("130198101201")
	mxVillageA = region.Code("130199101201") // 李家庄村 (the demo clerk's)
	mxVillageS = region.Code("130199101202") // 王家庄村, a sibling village in 东湖镇
	mxVillageB = region.Code("130199102201") // 前进村 in 南河镇
	mxTownA    = region.Code("130199101000")
	mxTownB    = region.Code("130199102000")
)

// mxUser is one caller of the matrix.
type mxUser struct {
	name   string
	role   authz.Role
	region region.Code
	token  string
	id     int64
}

func (u *mxUser) principal() authz.Principal {
	return authz.Principal{UserID: u.id, Username: u.name, Roles: []authz.Role{u.role}, Region: u.region}
}

// mxObj is one object a route addresses: its path parameters and the region
// it belongs to ("" = not regional: the question bank, the scenarios).
type mxObj struct {
	region region.Code
	params map[string]string
	owner  int64 // the user an attempt, a run or a request belongs to (0: none)
	note   string
}

type mxFixture struct {
	t     *testing.T
	srv   *httptest.Server
	a     *app.App
	db    *store.DB
	users []*mxUser
	by    map[string]*mxUser
	objs  map[string][]mxObj // by kind
}

// matrixFixture loads the fixture and logs in every caller.
func matrixFixture(t *testing.T, db *store.DB) *mxFixture {
	t.Helper()
	ctx := context.Background()
	start := time.Now()
	if _, err := demo.Load(ctx, db, demo.Generate(demo.DefaultSeed, time.Now())); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.LoadCases(ctx, db, &casework.Service{DB: db, Now: db.Now, Checker: &crosscheck.Simulator{Seed: uint64(demo.DefaultSeed)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.LoadRecipients(ctx, db, db.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.LoadTraining(ctx, db, &training.Service{DB: db, Now: db.Now}); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.LoadRosters(ctx, db, &recipients.Service{DB: db, Now: db.Now}); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.LoadReports(ctx, db, &recipients.Service{DB: db, Now: db.Now}); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.LoadExams(ctx, db, &exams.Service{DB: db, Now: db.Now}); err != nil {
		t.Fatal(err)
	}
	err := db.InTx(ctx, testenv.Admin(), func(tx *store.Tx) error {
		for _, r := range []store.Region{
			{Code: mxCounty2, Name: "平和县", Level: region.County},
			{Code: mxTown2, Name: "北山镇", Level: region.Township, Parent: mxCounty2},
			{Code: mxVillage2, Name: "北山村", Level: region.Village, Parent: mxTown2},
		} {
			if err := tx.PutRegion(ctx, r); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, store.Entry{Action: "test.seed", Object: "regions"})
	})
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.Sandbox = &practical.Service{DB: db, Sandbox: testenv.SandboxStore(t, db), Now: time.Now,
		Checker: &crosscheck.Simulator{Seed: 3}}
	srv := httptest.NewServer(api.New(a))
	t.Cleanup(srv.Close)
	f := &mxFixture{t: t, srv: srv, a: a, db: db, by: map[string]*mxUser{}, objs: map[string][]mxObj{}}

	// Callers: the demo accounts in their own regions, and one account per
	// role in sibling regions.
	for _, acc := range demo.Accounts() {
		if acc.Username == "township2" {
			continue
		}
		if access.RequiresTOTP([]authz.Role{acc.Role}) {
			testenv.EnrolTOTP(t, db, acc.Username) // the demo's administrators enrol at their first login
		}
		f.add(&mxUser{name: acc.Username, role: acc.Role, region: acc.Region}, demo.Password)
	}
	extra := []mxUser{
		{name: "mx-clerk-s", role: authz.VillageClerk, region: mxVillageS},
		{name: "mx-clerk-b", role: authz.VillageClerk, region: mxVillageB},
		{name: "mx-town-b", role: authz.TownshipOfficer, region: mxTownB},
		{name: "mx-town-2", role: authz.TownshipOfficer, region: mxTown2},
		{name: "mx-rev-b", role: authz.TownshipReviewer, region: mxTownB},
	}
	for _, r := range []authz.Role{authz.CountyApprover, authz.CountyAdmin, authz.TrainingAdmin, authz.Trainer,
		authz.ArchiveCustodian, authz.Auditor, authz.SecurityAdmin, authz.SystemAdmin} {
		extra = append(extra, mxUser{name: "mx2-" + string(r), role: r, region: mxCounty2})
	}
	for i := range extra {
		u := extra[i]
		p := testenv.User(t, db, u.name, u.region, u.role)
		u.id = p.UserID
		f.add(&u, testenv.Password)
	}
	t.Logf("fixture: demo and %d callers in %v", len(f.users), time.Since(start))
	f.objects()
	t.Logf("fixture ready in %v", time.Since(start))
	return f
}

func (f *mxFixture) add(u *mxUser, password string) {
	code, body := call(f.t, f.srv, "POST", "/login", "", map[string]string{"username": u.name, "password": password})
	if code == http.StatusUnauthorized && strings.Contains(string(body), `"field":"totp"`) {
		code, body = call(f.t, f.srv, "POST", "/login", "", map[string]string{"username": u.name, "password": password,
			"totp": testenv.TOTPCode(f.t, f.db, u.name)})
	}
	var r struct {
		Token string
		User  struct{ ID int64 }
	}
	if code != 200 || json.Unmarshal(body, &r) != nil || r.Token == "" {
		f.t.Fatalf("login %s: %d %s", u.name, code, body)
	}
	u.token, u.id = r.Token, r.User.ID
	f.users = append(f.users, u)
	f.by[u.name] = u
}

// rows runs a query whose one column is "a|b|c" and splits it.
func (f *mxFixture) rows(q string, args ...any) [][]string {
	f.t.Helper()
	ss, err := f.db.QueryStrings(context.Background(), q, args...)
	if err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
	out := make([][]string, len(ss))
	for i, s := range ss {
		out[i] = strings.Split(s, "|")
	}
	return out
}

// api calls the API as user name (setup steps must succeed).
func (f *mxFixture) api(name, method, path string, body any) []byte {
	f.t.Helper()
	code, out := call(f.t, f.srv, method, path, f.by[name].token, body)
	if code/100 != 2 {
		f.t.Errorf("fixture %s %s %s: %d %s", name, method, path, code, out)
	}
	return out
}

func (f *mxFixture) upload(name, path, field, filename string, data []byte) []byte {
	f.t.Helper()
	code, out := mxUpload(f.t, f.srv, path, f.by[name].token, field, filename, data)
	if code/100 != 2 {
		f.t.Errorf("fixture upload %s %s: %d %s", name, path, code, out)
	}
	return out
}

func mxUpload(t *testing.T, srv *httptest.Server, path, token, field, filename string, data []byte) (int, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile(field, filename)
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1"+path, &buf)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

func idOf(body []byte) string {
	var r struct{ ID int64 }
	_ = json.Unmarshal(body, &r)
	return strconv.FormatInt(r.ID, 10)
}

func (f *mxFixture) obj(kind string, r region.Code, params ...string) {
	o := mxObj{region: r, params: map[string]string{}}
	for i := 0; i+1 < len(params); i += 2 {
		o.params[params[i]] = params[i+1]
	}
	f.objs[kind] = append(f.objs[kind], o)
}

// objects writes what the demo lacks and lists, per kind, the objects the
// routes address.
func (f *mxFixture) objects() {
	t, ctx := f.t, context.Background()
	villages := []any{string(mxVillageA), string(mxVillageS), string(mxVillageB)}
	// Households with incomes and properties, one per village of interest.
	for _, r := range f.rows(`SELECT CAST(h.id AS TEXT) || '|' || h.region_code || '|' || CAST(MIN(i.id) AS TEXT) || '|' || CAST(MIN(p.id) AS TEXT)
		FROM households h JOIN income_items i ON i.household_id = h.id JOIN property_items p ON p.household_id = h.id
		WHERE h.region_code IN (?, ?, ?) AND h.id IN (SELECT MIN(h2.id) FROM households h2 JOIN income_items i2 ON i2.household_id = h2.id
		JOIN property_items p2 ON p2.household_id = h2.id GROUP BY h2.region_code) GROUP BY h.id, h.region_code`, villages...) {
		f.obj("household", region.Code(r[1]), "id", r[0])
		f.obj("income", region.Code(r[1]), "id", r[0], "item", r[2])
		f.obj("property", region.Code(r[1]), "id", r[0], "item", r[3])
	}
	// Villages and counties a body names.
	for _, v := range villages {
		f.obj("village", region.Code(v.(string)))
	}
	f.obj("village", mxVillage2)
	f.obj("county", demo.CountyCode, "county", string(demo.CountyCode))
	f.obj("county", mxCounty2, "county", string(mxCounty2))

	// A case in each of two villages: the demo's are in 李家庄村; one more
	// opened in 前进村 by its clerk.
	for _, c := range []struct {
		user string
		v    region.Code
	}{{"village", mxVillageA}, {"mx-clerk-b", mxVillageB}} {
		hb := f.rows(`SELECT CAST(MAX(id) AS TEXT) FROM households WHERE region_code = ? AND id NOT IN (SELECT household_id FROM cases)`, string(c.v))
		f.api(c.user, "POST", "/cases", map[string]any{"household_id": mustInt(hb[0][0]), "relatives": map[string]any{"none": true}})
	}
	for _, r := range f.rows(`SELECT CAST(MAX(id) AS TEXT) || '|' || region_code FROM cases WHERE state = 'draft' AND region_code IN (?, ?) GROUP BY region_code`,
		string(mxVillageA), string(mxVillageB)) {
		f.obj("case", region.Code(r[1]), "id", r[0])
	}
	for _, r := range f.rows(`SELECT CAST(MIN(c.id) AS TEXT) || '|' || c.region_code FROM cases c WHERE c.closed = 1 GROUP BY c.region_code`) {
		f.obj("closed-case", region.Code(r[1]), "id", r[0])
	}
	// Households without a case (for a new application) and recipients.
	for _, r := range f.rows(`SELECT CAST(MIN(id) AS TEXT) || '|' || region_code FROM households WHERE region_code IN (?, ?, ?)
		AND id NOT IN (SELECT household_id FROM cases) GROUP BY region_code`, villages...) {
		f.obj("free-household", region.Code(r[1]), "household", r[0])
	}
	for _, r := range f.rows(`SELECT CAST(MIN(household_id) AS TEXT) || '|' || region_code FROM recipients GROUP BY region_code`) {
		f.obj("recipient", region.Code(r[1]), "household", r[0])
	}
	// A file on each open case.
	for _, o := range f.objs["case"] {
		clerk := map[region.Code]string{mxVillageA: "village", mxVillageB: "mx-clerk-b"}[o.region]
		f.upload(clerk, "/cases/"+o.params["id"]+"/files?material=application", "file", "证明.pdf", []byte("%PDF-1.4 matrix"))
	}
	for _, r := range f.rows(`SELECT f.token || '|' || c.region_code FROM case_files f JOIN cases c ON c.id = f.case_id`) {
		f.obj("file", region.Code(r[1]), "token", r[0])
	}
	for _, r := range f.rows(`SELECT CAST(MIN(d.case_id) AS TEXT) || '|' || c.region_code FROM documents d JOIN cases c ON c.id = d.case_id GROUP BY c.region_code`) {
		num := f.rows(`SELECT number FROM documents WHERE case_id = ? ORDER BY number LIMIT 1`, mustInt(r[0]))
		f.obj("document", region.Code(r[1]), "id", r[0], "number", num[0][0])
	}
	// Rosters, change reports, review tasks, spot checks.
	// The demo's three approved months: the middle one has a failed
	// payment (repay file), the last no bank answer yet; and a new draft.
	rs := f.rows(`SELECT CAST(id AS TEXT) || '|' || county FROM rosters ORDER BY id`)
	f.obj("roster", region.Code(rs[len(rs)-2][1]), "id", rs[len(rs)-2][0])
	f.obj("roster-last", region.Code(rs[len(rs)-1][1]), "id", rs[len(rs)-1][0])
	body := f.api("county", "POST", "/rosters", map[string]any{"county": string(demo.CountyCode), "month": time.Now().AddDate(0, 2, 0).Format("2006-01")})
	t.Logf("draft roster: %s", body)
	f.obj("roster-draft", demo.CountyCode, "id", idOf(body))
	for _, o := range f.objs["recipient"] {
		if o.region == mxVillageA {
			f.api("village", "POST", "/change-reports", map[string]any{"household_id": mustInt(o.params["household"]), "kind": "income_up",
				"detail": "外出务工", "changed_on": time.Now().Format(time.DateOnly)})
			break
		}
	}
	for _, r := range f.rows(`SELECT CAST(MAX(id) AS TEXT) || '|' || region_code FROM change_reports GROUP BY region_code`) {
		f.obj("report", region.Code(r[1]), "id", r[0])
	}
	f.api("countyadmin", "POST", "/review-tasks/generate", nil)
	for _, r := range f.rows(`SELECT CAST(MAX(id) AS TEXT) || '|' || region_code FROM review_tasks GROUP BY region_code`) {
		f.obj("review", region.Code(r[1]), "id", r[0])
	}
	f.api("countyadmin", "POST", "/spot-checks", map[string]any{"seed": "7"})
	for _, r := range f.rows(`SELECT CAST(MAX(id) AS TEXT) || '|' || region_code FROM spot_checks GROUP BY region_code`) {
		f.obj("spot", region.Code(r[1]), "id", r[0])
	}
	// Standard changes and ledger batches in both counties.
	for _, c := range []struct {
		user   string
		county region.Code
	}{{"county", demo.CountyCode}, {"mx2-county_approver", mxCounty2}} {
		f.api(c.user, "POST", "/standard-changes", map[string]any{"county": string(c.county), "urban": "950", "rural": "700", "effective_month": "2027-01"})
	}
	for _, r := range f.rows(`SELECT CAST(MAX(id) AS TEXT) || '|' || county FROM standard_changes GROUP BY county`) {
		f.obj("standard", region.Code(r[1]), "id", r[0])
	}
	f.upload("countyadmin", "/ledger-imports", "file", "台账.xlsx", ledgertest.Workbook(t, ledgertest.Rows(3, mxVillageA)))
	f.upload("mx2-county_admin", "/ledger-imports", "file", "台账.xlsx", ledgertest.Workbook(t, ledgertest.Rows(3, mxVillage2)))
	f.upload("countyadmin", "/ledger-imports", "file", "台账.xlsx", ledgertest.Workbook(t, ledgertest.Rows(3, mxVillageA)))
	f.upload("mx2-county_admin", "/ledger-imports", "file", "台账.xlsx", ledgertest.Workbook(t, ledgertest.Rows(3, mxVillage2)))
	for _, r := range f.rows(`SELECT CAST(MAX(id) AS TEXT) || '|' || CAST(MIN(id) AS TEXT) || '|' || county FROM ledger_imports GROUP BY county`) {
		f.obj("ledger", region.Code(r[2]), "id", r[0])
		f.obj("ledger-x", region.Code(r[2]), "id", r[1])
	}
	// Training: a plan in the second county, the archive catalogue and a
	// request in each county, exams and attempts, sandbox runs, the library.
	testenv.Plan(t, f.db, mxCounty2, f.by["mx-town-2"].id)
	for _, r := range f.rows(`SELECT CAST(MAX(id) AS TEXT) || '|' || region_code FROM training_plans GROUP BY region_code`) {
		f.obj("plan", region.Code(r[1]), "id", r[0])
	}
	if _, err := (&archive.Service{DB: f.db}).Catalogue(ctx, authz.System("archive")); err != nil {
		t.Fatal(err)
	}
	for _, r := range f.rows(`SELECT CAST(MAX(a.id) AS TEXT) || '|' || p.region_code FROM archive_records a
		JOIN training_plans p ON a.rtype = 'plan' AND a.ref = CAST(p.id AS TEXT) GROUP BY p.region_code`) {
		f.obj("archive", region.Code(r[1]), "id", r[0])
	}
	for _, c := range []struct {
		user   string
		county region.Code
	}{{"trainer", demo.CountyCode}, {"mx2-trainer", mxCounty2}} {
		rec := ""
		for _, o := range f.objs["archive"] {
			if o.region.Within(c.county) {
				rec = o.params["id"]
			}
		}
		for _, kind := range []string{"archive-request", "archive-request-r"} {
			body := f.api(c.user, "POST", "/archive/requests", map[string]any{"purpose": "复盘", "record_id": mustInt(rec), "days": 3})
			f.objs[kind] = append(f.objs[kind], mxObj{region: c.county, owner: f.by[c.user].id,
				params: map[string]string{"id": idOf(body)}})
		}
	}
	// An exam of the second county's plan, and an attempt in each county.
	for _, o := range f.objs["plan"] {
		if o.region == mxCounty2 {
			f.api("mx2-training_admin", "POST", "/exams", mxExam(f, o))
		}
	}
	for _, r := range f.rows(`SELECT CAST(MAX(e.id) AS TEXT) || '|' || p.region_code FROM exams e JOIN training_plans p ON p.id = e.plan_id GROUP BY p.region_code`) {
		who := map[region.Code]string{demo.CountyCode: "village", mxCounty2: "mx-town-2"}[region.Code(r[1])]
		f.api(who, "POST", "/exams/"+r[0]+"/attempts", map[string]any{"kind": "first"})
	}
	for _, r := range f.rows(`SELECT CAST(MAX(e.id) AS TEXT) || '|' || p.region_code FROM exams e JOIN training_plans p ON p.id = e.plan_id GROUP BY p.region_code`) {
		f.obj("exam", region.Code(r[1]), "id", r[0])
	}
	for _, r := range f.rows(`SELECT CAST(MAX(a.id) AS TEXT) || '|' || u.region_code || '|' || CAST(u.id AS TEXT) FROM exam_attempts a
		JOIN users u ON u.id = a.person_id GROUP BY u.region_code, u.id`) {
		f.objs["attempt"] = append(f.objs["attempt"], mxObj{region: region.Code(r[1]), owner: mustInt(r[2]),
			params: map[string]string{"id": r[0], "question": "1"}})
	}
	f.objs["question"] = nil
	for _, r := range f.rows(`SELECT CAST(MIN(id) AS TEXT) FROM exam_questions`) {
		f.obj("question", "", "id", r[0])
	}
	for _, u := range []string{"township", "mx-town-b"} {
		body := f.api(u, "POST", "/sandbox/runs", map[string]string{"scenario": "incomplete", "attempt": "first"})
		var run struct {
			ID            int64 `json:"id"`
			SandboxCaseID int64 `json:"sandbox_case_id"`
		}
		_ = json.Unmarshal(body, &run)
		uu := f.by[u]
		f.objs["run"] = append(f.objs["run"], mxObj{region: uu.region, owner: uu.id, params: map[string]string{"id": fmt.Sprint(run.ID)}})
		f.objs["sandbox-case"] = append(f.objs["sandbox-case"], mxObj{region: uu.region, owner: uu.id, params: map[string]string{"id": fmt.Sprint(run.SandboxCaseID)}})
	}
	// Two library drafts; the first published by a second curator.
	for i, o := range f.objs["closed-case"][:2] {
		body := f.api("trainer", "POST", "/library", map[string]any{"case_id": mustInt(o.params["id"])})
		if i == 0 {
			f.api("trainadmin", "POST", "/library/"+idOf(body)+"/review", map[string]any{"approve": true, "note": "可用"})
		}
	}
	for _, r := range f.rows(`SELECT CAST(l.id AS TEXT) || '|' || c.region_code FROM library_cases l JOIN cases c ON c.id = l.source_case_id`) {
		f.obj("library", region.Code(r[1]), "id", r[0])
	}
	f.obj("policy", demo.CountyCode, "name", "theory_pass")
	f.obj("policy", mxCounty2, "name", "theory_pass")
	for k, v := range f.objs {
		t.Logf("fixture %s: %d", k, len(v))
	}
}

func mustInt(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// rePhone finds a clear mobile number (not inside a hex hash); reCode a
// region code of the two counties.
var (
	rePhone = regexp.MustCompile(`(?:^|[^0-9A-Za-z])(1[3-9][0-9]{9})(?:[^0-9A-Za-z]|$)`)
	reCode  = regexp.MustCompile(`(?:^|[^0-9])(1301(?:98|99)[0-9]{6})(?:[^0-9]|$)`)
)

// sensitive lists the clear ID and bank card numbers in b, as the
// clear-text scan finds them (inside an xlsx too; de-identified 99… numbers
// have no province and are not hits), and the clear mobile numbers.
func sensitive(b []byte) []string {
	var out []string
	for _, h := range piiscan.Scan(b, time.Now()) {
		out = append(out, h.String())
	}
	texts := [][]byte{b}
	if zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b))); err == nil {
		texts = nil
		for _, zf := range zr.File {
			rc, err := zf.Open()
			if err != nil {
				continue
			}
			x, _ := io.ReadAll(rc)
			rc.Close()
			texts = append(texts, x)
		}
	}
	for _, x := range texts {
		for _, m := range rePhone.FindAllSubmatchIndex(x, -1) {
			lo, hi := max(0, m[2]-80), min(len(x), m[3]+40)
			out = append(out, "phone:"+string(x[m[2]:m[3]])+" in «"+string(x[lo:hi])+"»")
		}
	}
	return out
}

// foreignCodes lists the region codes in b that lie neither in u's scope nor
// above it: a sibling's code in a response is a cross-scope read.
func foreignCodes(b []byte, u *mxUser) []string {
	var out []string
	for _, m := range reCode.FindAllSubmatch(b, -1) {
		c := region.Code(m[1])
		if c.Within(u.region) || u.region.Within(c) {
			continue
		}
		out = append(out, string(c))
	}
	return out
}
