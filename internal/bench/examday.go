package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"dibao/internal/access"
	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/enroll"
	"dibao/internal/exam"
	"dibao/internal/exams"
	"dibao/internal/region"
	"dibao/internal/server"
	"dibao/internal/store"
	"dibao/internal/web"
)

// Exam day (issue 8): K candidates start one exam, autosave their answers
// and submit, through the HTTP pages the browser uses (POST
// /exams/{id}/start, GET /exams/{id}/take, POST
// /exams/attempts/{id}/answers/{n} as static/exam.js sends it, POST
// /exams/attempts/{id}/submit with the whole form), over loopback to the
// handler `dibao serve` builds (app.New + server.Handler, the exam sweep
// running), at ExamClients concurrent clients. The raw counterpart writes
// the same rows (INSERT attempt, INSERT answer records, UPDATE submit) as
// plain SQL at the same concurrency, into a second exam of the same paper.

// ExamClients is the number of concurrent HTTP clients (and raw workers).
const ExamClients = 128

// ExamQuestions is the size of the exam's fixed paper.
const ExamQuestions = 50

// AutosaveP99Target is the autosave latency issue 8 asks for.
const AutosaveP99Target = 500 * time.Millisecond

// ExamTitle and ExamRawTitle prefix the titles of the bench's two exams
// (the run's tag follows).
const (
	ExamTitle    = "压测考试"
	ExamRawTitle = "压测考试（raw）"
)

// examFixture is what the untimed set-up made.
type examFixture struct {
	examID, rawExamID int64
	users             []int64
	tokens            []string
	rawItems          []string // per candidate: the items snapshot the raw start inserts
	rawDeadline       time.Time
	passMark          int
}

// ExamDay runs the exam-day scenario on env.DB (fixture in env.Counties[0]).
func ExamDay(ctx context.Context, env Env) ([]Result, error) {
	k, answers := env.Candidates, env.Answers
	if k <= 0 {
		k = 5000
	}
	if answers <= 0 {
		answers = 50
	}
	if len(env.Counties) == 0 {
		return nil, errors.New("bench exam-day: no county")
	}
	say := func(format string, args ...any) {
		if env.Progress != nil {
			fmt.Fprintf(env.Progress, format+"\n", args...)
		}
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := app.New(env.DB, quiet)
	start := time.Now()
	fx, err := setupExamDay(ctx, env.DB, a, env.Counties[0], k)
	if err != nil {
		return nil, fmt.Errorf("bench exam-day fixture: %w", err)
	}
	say("exam-day fixture: %d candidates with sessions, %d questions, 2 exams in %s", k, ExamQuestions,
		time.Since(start).Round(time.Millisecond))

	h, err := server.HandlerWith(a, server.Unlimited()) // 5,000 sign-ins from one address
	if err != nil {
		return nil, err
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ReadHeaderTimeout, srv.Config.ReadTimeout, srv.Config.WriteTimeout = 10*time.Second, 60*time.Second, 120*time.Second
	srv.Start()
	defer srv.Close()
	sweepCtx, stopSweep := context.WithCancel(ctx)
	defer stopSweep()
	go exams.SweepEvery(sweepCtx, a.Exams, 5*time.Second, quiet) // as serve runs it
	clients := min(ExamClients, k)
	c := &examClient{base: srv.URL, c: &http.Client{
		Transport:     &http.Transport{MaxIdleConns: 2 * clients, MaxIdleConnsPerHost: 2 * clients, DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       60 * time.Second,
	}}
	defer c.c.CloseIdleConnections()

	// App: every candidate starts (and loads the exam page), then the
	// autosaves run answer by answer across all open attempts, then every
	// candidate submits the form.
	att := make([]int64, k)
	pages := make([]examPage, k)
	var pageLat = newLatencies(clients)
	say("exam start (app): %d candidates, %d clients", k, clients)
	startPh := runPhase(ctx, clients, k, env.Progress, "start (app)", func(w, i int) (time.Duration, error) {
		path := "/exams/" + strconv.FormatInt(fx.examID, 10)
		t0 := time.Now()
		st, loc, _, err := c.do(ctx, "POST", path+"/start", fx.tokens[i], "application/x-www-form-urlencoded", "", "")
		d := time.Since(t0)
		if err != nil {
			return d, err
		}
		if st != http.StatusSeeOther || loc != path+"/take" {
			return d, fmt.Errorf("start: status %d, location %q", st, loc)
		}
		t1 := time.Now()
		st, _, body, err := c.do(ctx, "GET", path+"/take", fx.tokens[i], "", "", "")
		pageLat.add(w, time.Since(t1))
		if err != nil {
			return d, err
		}
		if st != http.StatusOK {
			return d, fmt.Errorf("exam page: status %d", st)
		}
		p, err := parseExamPage(body)
		if err != nil {
			return d, err
		}
		att[i], pages[i] = p.attempt, p
		return d, nil
	})
	say("exam autosave (app): %d answers each", answers)
	saves := k * answers
	savePh := runPhase(ctx, clients, saves, env.Progress, "autosave (app)", func(w, j int) (time.Duration, error) {
		i, n := j%k, j/k%ExamQuestions+1
		if att[i] == 0 {
			return 0, errors.New("autosave: candidate did not start")
		}
		vals := pages[i].answer(i, n)
		b, _ := json.Marshal(map[string][]string{"values": vals})
		t0 := time.Now()
		st, _, body, err := c.do(ctx, "POST", "/exams/attempts/"+strconv.FormatInt(att[i], 10)+"/answers/"+strconv.Itoa(n),
			fx.tokens[i], "application/json", "application/json", string(b))
		d := time.Since(t0)
		if err == nil && (st != http.StatusOK || !strings.Contains(string(body), `"saved":true`)) {
			err = fmt.Errorf("autosave: status %d: %s", st, body)
		}
		return d, err
	})
	say("exam submit (app)")
	submitPh := runPhase(ctx, clients, k, env.Progress, "submit (app)", func(w, i int) (time.Duration, error) {
		if att[i] == 0 {
			return 0, errors.New("submit: candidate did not start")
		}
		form := url.Values{}
		for n := 1; n <= pages[i].questions(); n++ {
			form.Add("shown", strconv.Itoa(n))
			if n <= answers { // the questions this candidate answered
				form["q-"+strconv.Itoa(n)] = pages[i].answer(i, n)
			}
		}
		t0 := time.Now()
		st, loc, _, err := c.do(ctx, "POST", "/exams/attempts/"+strconv.FormatInt(att[i], 10)+"/submit", fx.tokens[i],
			"application/x-www-form-urlencoded", "", form.Encode())
		d := time.Since(t0)
		if err == nil && (st != http.StatusSeeOther || !strings.HasPrefix(loc, "/exams/"+strconv.FormatInt(fx.examID, 10)+"/take")) {
			err = fmt.Errorf("submit: status %d, location %q", st, loc)
		}
		return d, err
	})
	stopSweep()

	// Raw: the same rows, plain SQL, same concurrency.
	raw := make([]int64, k)
	say("exam start/autosave/submit (raw)")
	rawStart := runPhase(ctx, clients, k, env.Progress, "start (raw)", func(w, i int) (time.Duration, error) {
		t0 := time.Now()
		id, err := env.DB.RawStartAttempt(ctx, fx.rawExamID, fx.users[i], fx.rawItems[i], time.Now(), fx.rawDeadline, fx.passMark)
		raw[i] = id
		return time.Since(t0), err
	})
	rawSave := runPhase(ctx, clients, saves, env.Progress, "autosave (raw)", func(w, j int) (time.Duration, error) {
		i, n := j%k, j/k%ExamQuestions+1
		ans := strings.Join(pages[i].answer(i, n), ",")
		t0 := time.Now()
		err := env.DB.RawSaveAnswer(ctx, raw[i], n, ans, time.Now())
		return time.Since(t0), err
	})
	rawSubmit := runPhase(ctx, clients, k, env.Progress, "submit (raw)", func(w, i int) (time.Duration, error) {
		t0 := time.Now()
		err := env.DB.RawSubmitAttempt(ctx, raw[i], fx.passMark, true, time.Now())
		return time.Since(t0), err
	})

	res := []Result{
		examResult("exam start", k, startPh, rawStart, "starts"),
		{Name: "exam page", Unit: "requests", Ops: k, App: startPh.wall},
		examResult("exam autosave", saves, savePh, rawSave, "saves"),
		examResult("exam submit", k, submitPh, rawSubmit, "submits"),
	}
	res[1].AppP50, res[1].AppP95, res[1].AppP99 = pageLat.percentiles()
	res[1].Note = "GET of the exam page the start redirects to (timed within the start phase); no raw counterpart"
	within := startPh.wall <= time.Minute
	res[0].Note += fmt.Sprintf("; %d clients, as fast as they go: all started in %.1fs", clients, startPh.wall.Seconds())
	res[0].Check("all start within 60 s, 0 errors", within && startPh.errors == 0)
	res[2].Check(fmt.Sprintf("p99 < %s, 0 errors", AutosaveP99Target), savePh.errors == 0 && res[2].AppP99 < AutosaveP99Target)
	res[3].Check(fmt.Sprintf("%d candidates, 0 errors", k), submitPh.errors == 0)
	return res, nil
}

func examResult(name string, ops int, app, raw phase, unit string) Result {
	r := Result{Name: name, Unit: "requests", Ops: ops, App: app.wall, Raw: raw.wall, Errors: app.errors + raw.errors}
	r.AppP50, r.AppP95, r.AppP99 = app.lat.percentiles()
	r.RawP50, r.RawP95, r.RawP99 = raw.lat.percentiles()
	r.Ratio = ratio(r.App, r.Raw)
	r.Note = fmt.Sprintf("%.0f %s/s, raw %.0f/s", r.AppRate(), unit, r.RawRate())
	if app.first != nil {
		r.Note += "; first error: " + app.first.Error()
	}
	if raw.first != nil {
		r.Note += "; first raw error: " + raw.first.Error()
	}
	return r
}

// setupExamDay writes the untimed fixture: k staff accounts in the
// county's villages with a web session each (store rows as Login writes
// them, through access.OpenSession: hashing k passwords would take
// minutes), a plan assessed by theory with all of them enrolled, a bank of
// ExamQuestions questions of the four kinds, and two open exams of the
// whole bank (the app's and the raw baseline's).
func setupExamDay(ctx context.Context, db *store.DB, a *app.App, county region.Code, k int) (examFixture, error) {
	var fx examFixture
	regs, err := db.Regions(ctx, region.ScopeOf(county))
	if err != nil {
		return fx, err
	}
	var villages []region.Code
	for _, r := range regs {
		if r.Level == region.Village {
			villages = append(villages, r.Code)
		}
	}
	if len(villages) == 0 {
		return fx, fmt.Errorf("county %s has no villages", county)
	}
	now := db.Now()
	tag := strconv.FormatInt(now.UnixNano()%1_000_000_000, 36)
	admin := authz.Principal{Username: "bench-exam", Roles: []authz.Role{authz.TrainingAdmin}, Region: county}
	hash, err := access.HashPassword("bench-exam-" + tag)
	if err != nil {
		return fx, err
	}
	year := now.In(time.FixedZone("CST", 8*3600)).Year()
	plan := store.TrainingPlan{Kind: "regular", Title: "压测理论考核 " + tag, Region: county,
		PeriodStart: fmt.Sprintf("%d-01-01", year), PeriodEnd: fmt.Sprintf("%d-12-31", year), Audience: `{}`,
		RequiredMinutes: 240, Categories: "policy_law,ethics", Assessments: "theory"}
	fx.users, fx.tokens = make([]int64, k), make([]string, k)
	for lo := 0; lo < k; lo += fixtureChunk {
		hi := min(lo+fixtureChunk, k)
		err := db.InTx(ctx, admin, func(tx *store.Tx) error {
			if plan.ID == 0 {
				if err := tx.CreateTrainingPlan(ctx, &plan); err != nil {
					return err
				}
			}
			for i := lo; i < hi; i++ {
				u := store.User{Username: fmt.Sprintf("exam-%s-%d", tag, i), DisplayName: "考生" + strconv.Itoa(i),
					PasswordHash: hash, Region: villages[i%len(villages)], Roles: []authz.Role{authz.VillageClerk}, Active: true}
				id, err := tx.CreateUser(ctx, u)
				if err != nil {
					return err
				}
				fx.users[i] = id
				if fx.tokens[i], err = a.Access.OpenSession(ctx, tx, id, "web", now); err != nil {
					return err
				}
				if err := tx.InsertEnrollment(ctx, &store.Enrollment{PersonID: id, PlanID: plan.ID, Due: plan.PeriodEnd}); err != nil {
					return err
				}
			}
			return tx.Audit(ctx, store.Entry{Action: "bench.fixture", Object: "users",
				Detail: fmt.Sprintf("压测数据：考生账号、会话与培训报名 %d 个（%d–%d）", hi-lo, lo, hi-1)})
		})
		if err != nil {
			return fx, fmt.Errorf("candidates %d–%d: %w", lo, hi-1, err)
		}
	}
	var picks []exam.Pick
	for i := 0; i < ExamQuestions; i++ {
		id, err := a.Exams.CreateQuestion(ctx, admin, examQuestion(i))
		if err != nil {
			return fx, fmt.Errorf("question %d: %w", i, err)
		}
		picks = append(picks, exam.Pick{QuestionID: id, Points: 100 / ExamQuestions})
	}
	in := exams.ExamInput{Title: ExamTitle + " " + tag, PlanID: plan.ID, OpensAt: now.Add(-time.Minute),
		ClosesAt: now.Add(6 * time.Hour), Minutes: 240, ClosedBook: true, Review: exam.ReviewScore,
		Paper: exam.Paper{Fixed: picks}, Seed: 1}
	if fx.examID, err = a.Exams.CreateExam(ctx, admin, in); err != nil {
		return fx, err
	}
	in.Title = ExamRawTitle + " " + tag
	if fx.rawExamID, err = a.Exams.CreateExam(ctx, admin, in); err != nil {
		return fx, err
	}
	e, err := a.Exams.Exam(ctx, admin, fx.rawExamID)
	if err != nil {
		return fx, err
	}
	fx.passMark, fx.rawDeadline = e.PassMark, exams.Deadline(e, now)
	fx.rawItems = make([]string, k)
	for i := range fx.rawItems {
		b, err := json.Marshal(exam.Shuffle(e.Paper, int64(i)+1))
		if err != nil {
			return fx, err
		}
		fx.rawItems[i] = string(b)
	}
	return fx, nil
}

// examQuestion is the i-th bank question: single choice, multiple choice,
// true/false and fill-in in turn.
func examQuestion(i int) exam.Question {
	cat := []enroll.Category{enroll.PolicyLaw, enroll.BusinessSkills, enroll.Ethics}[i%3]
	stem := fmt.Sprintf("压测第%d题：低保审核确认工作中，下列说法是否符合规定？", i+1)
	switch i % 4 {
	case 0:
		return exam.Question{Kind: exam.Single, Category: cat, Difficulty: 1 + i%3, Stem: stem,
			Options: []string{"3天", "7天", "15天", "30天"}, Correct: []int{1}}
	case 1:
		return exam.Question{Kind: exam.Multiple, Category: cat, Difficulty: 1 + i%3, Stem: stem,
			Options: []string{"调查人员不少于2人", "一人即可", "如实记录并签字", "无需记录"}, Correct: []int{0, 2}}
	case 2:
		return exam.Question{Kind: exam.TrueFalse, Category: cat, Difficulty: 1 + i%3, Stem: stem, Correct: []int{0}}
	default:
		return exam.Question{Kind: exam.Fill, Category: cat, Difficulty: 1 + i%3, Stem: stem + "渐退期最长不超过____个月。",
			Accepted: []string{"6", "六"}}
	}
}

// ---- the client side ----

type examClient struct {
	base string
	c    *http.Client
}

// do sends one request with the session cookie as a browser on the same
// site would (Sec-Fetch-Site: same-origin) and returns the status, the
// Location header and the body.
func (x *examClient) do(ctx context.Context, method, path, token, ctype, accept, body string) (int, string, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, x.base+path, strings.NewReader(body))
	if err != nil {
		return 0, "", nil, err
	}
	req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: token})
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := x.c.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), b, err
}

// examPage is what the candidate's browser knows from the exam page: the
// attempt and, per question position, the input type and its values.
type examPage struct {
	attempt int64
	kinds   map[int]string   // radio, checkbox, text
	values  map[int][]string // option values
}

var (
	saveRe  = regexp.MustCompile(`data-save="/exams/attempts/(\d+)/answers/"`)
	inputRe = regexp.MustCompile(`<input type="(radio|checkbox|text)" name="q-(\d+)" value="([^"]*)"`)
)

func parseExamPage(body []byte) (examPage, error) {
	p := examPage{kinds: map[int]string{}, values: map[int][]string{}}
	m := saveRe.FindSubmatch(body)
	if m == nil {
		return p, errors.New("exam page: no open attempt on the page")
	}
	p.attempt, _ = strconv.ParseInt(string(m[1]), 10, 64)
	for _, in := range inputRe.FindAllSubmatch(body, -1) {
		n, _ := strconv.Atoi(string(in[2]))
		p.kinds[n] = string(in[1])
		p.values[n] = append(p.values[n], string(in[3]))
	}
	if len(p.kinds) != ExamQuestions {
		return p, fmt.Errorf("exam page: %d questions, want %d", len(p.kinds), ExamQuestions)
	}
	return p, nil
}

func (p examPage) questions() int { return len(p.kinds) }

// answer is candidate i's answer to question n: a choice among the
// page's options (some right, some wrong), or a fill-in text. It depends
// on i and n only, so the form at submit repeats what was saved.
func (p examPage) answer(i, n int) []string {
	vals := p.values[n]
	switch p.kinds[n] {
	case "text":
		return []string{[]string{"6", "五"}[(i+n)%2]}
	case "checkbox":
		a, b := vals[(i+n)%len(vals)], vals[(i+2*n+1)%len(vals)]
		if a == b {
			return []string{a}
		}
		return []string{a, b}
	default:
		return []string{vals[(i+n)%len(vals)]}
	}
}

// ---- phases ----

type latencies [][]time.Duration // per worker

func newLatencies(workers int) latencies { return make(latencies, workers) }

func (l latencies) add(w int, d time.Duration) { l[w] = append(l[w], d) }

func (l latencies) percentiles() (p50, p95, p99 time.Duration) {
	var all []time.Duration
	for _, s := range l {
		all = append(all, s...)
	}
	if len(all) == 0 {
		return 0, 0, 0
	}
	slices.Sort(all)
	at := func(q float64) time.Duration { return all[min(len(all)-1, int(q*float64(len(all))))] }
	return at(0.50), at(0.95), at(0.99)
}

type phase struct {
	wall   time.Duration
	lat    latencies
	errors int
	first  error
}

// runPhase runs jobs 0…n-1 on workers concurrent workers in order of
// index; job returns the latency it measured and its error.
func runPhase(ctx context.Context, workers, n int, progress io.Writer, stage string, job func(w, i int) (time.Duration, error)) phase {
	ph := phase{lat: newLatencies(workers)}
	var done, errCount atomic.Int64
	var mu sync.Mutex
	step := int64(max(n/10, 1))
	ph.wall = fanOut(ctx, workers, 0, n, func(w, i int) {
		d, err := job(w, i)
		if d > 0 {
			ph.lat.add(w, d)
		}
		if err != nil {
			errCount.Add(1)
			mu.Lock()
			if ph.first == nil {
				ph.first = err
			}
			mu.Unlock()
		}
		if c := done.Add(1); progress != nil && c%step == 0 {
			fmt.Fprintf(progress, "\r%s %3d%%", stage, c*100/int64(n))
		}
	})
	if progress != nil {
		fmt.Fprintln(progress)
	}
	ph.errors = int(errCount.Load())
	if ctx.Err() != nil && ph.first == nil {
		ph.first = ctx.Err()
	}
	return ph
}
