package scale

import (
	"context"
	"dibao/internal/fakedata"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"dibao/internal/access"
	"dibao/internal/authz"
	"dibao/internal/benefit"
	"dibao/internal/calendar"
	"dibao/internal/enroll"
	"dibao/internal/policy"
	"dibao/internal/region"
	"dibao/internal/store"
)

// MetaKey marks a database holding the province: its seed, size and how far
// the households got ("… done=N group=G"), or "complete".
const MetaKey = "scale_province"

// Limits of --households.
const (
	MinHouseholds = 1
	MaxHouseholds = 5_000_000
)

// DefaultChunk is how many households one generation step makes; each is
// written county by county, one audited transaction per county.
const DefaultChunk = 60_000

// Password is the password of every generated staff account (the demo
// county's).
const Password = "dibao-demo-2026"

// Options says what Load generates.
type Options struct {
	Households int
	Seed       uint64
	Progress   io.Writer // the "\r" progress line (nil: quiet)
	Chunk      int       // households per generation step (0: DefaultChunk)
}

// Result says what Load wrote.
type Result struct {
	Counties                      []region.Code // every county of the province (all hold recipients)
	Households, Members           int
	Active, Stopped, Applications int
	States                        map[string]int
	Users                         int
	Resumed                       bool // an interrupted load was continued
	Duration                      time.Duration
}

// progress is the MetaKey mark: what is being generated. How far each
// county got is under CountyKey: the households generated before the end
// of the last chunk whose part in that county is written.
type progress struct {
	seed              uint64
	households, chunk int
	complete          bool
}

func (p progress) String() string {
	s := fmt.Sprintf("seed=%d households=%d chunk=%d", p.seed, p.households, p.chunk)
	if p.complete {
		s += " complete"
	}
	return s
}

func parseProgress(s string) (progress, error) {
	var p progress
	_, err := fmt.Sscanf(strings.TrimSuffix(s, " complete"), "seed=%d households=%d chunk=%d", &p.seed, &p.households,
		&p.chunk)
	p.complete = strings.HasSuffix(s, " complete")
	return p, err
}

// CountyKey is the meta key holding how far the load got in county c.
func CountyKey(c region.Code) string { return MetaKey + "/" + string(c) }

// CheckHouseholds refuses a household count outside the limits.
func CheckHouseholds(n int) error {
	if n < MinHouseholds || n > MaxHouseholds {
		return fmt.Errorf("--households must be between %d and %d (got %d)", MinHouseholds, MaxHouseholds, n)
	}
	return nil
}

// Load generates the province into db: regions, county standards, staff
// and training (one transaction), then the households in chunks, each
// county's part of a chunk in one audited transaction that also records
// how far the load got. A load interrupted half-way is continued by the
// same call (same seed and size); a province already complete, or another
// one half-written, is refused.
func Load(ctx context.Context, db *store.DB, o Options) (Result, error) {
	start := time.Now()
	if err := CheckHouseholds(o.Households); err != nil {
		return Result{}, err
	}
	if o.Chunk <= 0 {
		o.Chunk = DefaultChunk
	}
	res := Result{States: map[string]int{}}
	for _, c := range ProvinceCounties() {
		res.Counties = append(res.Counties, c.Code)
	}
	pr := progress{seed: o.Seed, households: o.Households, chunk: o.Chunk}
	v, err := db.Meta(ctx, MetaKey)
	if err != nil {
		return res, err
	}
	if v != "" {
		old, err := parseProgress(v)
		if err != nil {
			return res, fmt.Errorf("scale: unreadable %s mark %q: %w", MetaKey, v, err)
		}
		if old.complete {
			return res, fmt.Errorf("this database already holds the generated province (%d households, seed %d); "+
				"use a fresh database to generate another", old.households, old.seed)
		}
		if old.seed != o.Seed || old.households != o.Households || old.chunk != o.Chunk {
			return res, fmt.Errorf("this database holds a half-written province (%d households, seed %d); "+
				"run the same command again (--households %d, --seed %d) to finish it, or use a fresh database",
				old.households, old.seed, old.households, old.seed)
		}
		pr, res.Resumed = old, true
	} else {
		users, err := setup(ctx, db, pr)
		if err != nil {
			return res, err
		}
		res.Users = users
	}
	today := calendar.DayOf(db.Now())
	var params []benefit.Params
	for _, c := range ProvinceCounties() {
		set, err := policy.Resolve(ctx, db, c.Code, today)
		if err != nil {
			return res, err
		}
		params = append(params, set.BenefitParams())
	}
	through := make([]int, Counties)
	from := o.Households
	for ci, c := range ProvinceCounties() {
		v, err := db.Meta(ctx, CountyKey(c.Code))
		if err != nil {
			return res, err
		}
		if v != "" {
			if through[ci], err = strconv.Atoi(v); err != nil {
				return res, fmt.Errorf("scale: unreadable %s mark %q", CountyKey(c.Code), v)
			}
		}
		from = min(from, through[ci])
	}
	g := NewGen(o.Seed, today, params)
	g.Skip(from)
	if err := db.ScaleCache(ctx, true); err != nil {
		return res, err
	}
	defer db.ScaleCache(context.WithoutCancel(ctx), false)
	writers := 1
	if db.Dialect() == store.Postgres {
		writers = 2 // PostgreSQL takes COPYs of different counties at once
	}
	if err := writeHouseholds(ctx, db, g, o, from, through, writers, &res, start); err != nil {
		return res, err
	}
	pr.complete = true
	err = db.InTx(ctx, authz.System("scale"), func(tx *store.Tx) error {
		if err := tx.SetMeta(ctx, MetaKey, pr.String()); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "scale.load", Object: "province",
			Detail: fmt.Sprintf("省级演示数据生成完成：种子%d，%d个县、%d个乡镇、%d个村（社区），家庭%d户", o.Seed, Counties, Townships,
				Villages, o.Households)})
	})
	res.Duration = time.Since(start)
	return res, err
}

type batch struct {
	county region.Code
	b      *store.ScaleBatch
	c      Counts
	done   int // households generated before this chunk
	end    int // … and after it
	err    error
}

// writeHouseholds generates and seals on one side (its own goroutine,
// sealing on every CPU) while writers write, a few batches behind; each
// county's batches go to one writer, in order, so its CountyKey only grows.
// Households before from are written already, and in county ci those
// before through[ci].
func writeHouseholds(ctx context.Context, db *store.DB, g *Gen, o Options, from int, through []int, writers int,
	res *Result, start time.Time) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chs := make([]chan batch, writers)
	for w := range chs {
		chs[w] = make(chan batch, 2)
	}
	now := db.Now()
	counties := ProvinceCounties()
	go func() {
		defer func() {
			for _, ch := range chs {
				close(ch)
			}
		}()
		for done := from; done < o.Households; done += o.Chunk {
			n := min(o.Chunk, o.Households-done)
			hs, _ := g.Next(n)
			groups := make([][]store.ScaleHousehold, Counties)
			for _, h := range hs {
				ci := g.county[h.Household.Region.County()]
				groups[ci] = append(groups[ci], h)
			}
			for ci, grp := range groups {
				if len(grp) == 0 || through[ci] >= done+n {
					continue // none here, or written before an interruption
				}
				b, err := db.PrepareScale(grp, now)
				select {
				case chs[ci%writers] <- batch{county: counties[ci].Code, b: b, c: count(grp), done: done, end: done + n, err: err}:
				case <-ctx.Done():
					return
				}
				if err != nil {
					return
				}
			}
		}
	}()
	var mu sync.Mutex
	written := from
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for bt := range chs[w] {
				if bt.err == nil {
					bt.err = writeBatch(ctx, db, bt)
				}
				if bt.err != nil {
					errs[w] = bt.err
					cancel()
					for range chs[w] {
					}
					return
				}
				mu.Lock()
				c := bt.c
				res.Households += c.Households
				res.Members += c.Members
				res.Active += c.Active
				res.Stopped += c.Stopped
				res.Applications += c.Applications
				for s, n := range c.States {
					res.States[s] += n
				}
				written += c.Households
				if o.Progress != nil {
					el := time.Since(start)
					fmt.Fprintf(o.Progress, "\rprovince %3d%%  %d/%d households  %.0f households/s  %s elapsed ",
						written*100/o.Households, written, o.Households, float64(written-from)/max(el.Seconds(), 0.001),
						el.Round(time.Second))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if o.Progress != nil {
		fmt.Fprintln(o.Progress)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return ctx.Err()
}

// writeBatch writes one county's part of a chunk in one transaction with
// its audit record and the county's progress mark.
func writeBatch(ctx context.Context, db *store.DB, bt batch) error {
	p := authz.System("scale")
	p.Region = bt.county
	c := bt.c
	err := db.WriteScale(ctx, p, bt.b, store.Entry{Action: "scale.load", Object: "region:" + string(bt.county),
		Detail: fmt.Sprintf("省级演示数据：家庭%d户，成员%d人，保障对象%d户（停保%d户），申请%d件（第%d–%d户中本县部分）",
			c.Households, c.Members, c.Active+c.Stopped, c.Stopped, c.Applications, bt.done+1, bt.end)},
		func(tx *store.Tx) error { return tx.SetMeta(ctx, CountyKey(bt.county), strconv.Itoa(bt.end)) })
	if err != nil {
		return fmt.Errorf("scale: households %d–%d (%s): %w", bt.done+1, bt.end, bt.county, err)
	}
	return nil
}

func count(hs []store.ScaleHousehold) Counts {
	c := Counts{States: map[string]int{}}
	for _, h := range hs {
		c.Households++
		c.Members += len(h.Household.Members)
		switch {
		case h.Recipient == nil:
			c.Applications++
			c.States[h.Case.State]++
		case h.Recipient.Status == "stopped":
			c.Stopped++
		default:
			c.Active++
		}
	}
	return c
}

// staff is one generated account.
type staff struct {
	username, name string
	region         region.Code
	role           authz.Role
	posts          string
}

// Staff lists the province's accounts: per village a clerk, per township
// an officer and a reviewer, per county an approver, a business admin and
// a training admin.
func Staff() []staff {
	var out []staff
	n := 0
	name := func() string {
		n++
		return fakedata.Surnames[n%len(fakedata.Surnames)] + []string{"建华", "丽娟", "志强", "海燕", "俊峰", "春燕", "立新", "秀梅"}[n/len(fakedata.Surnames)%8]
	}
	for _, r := range Regions() {
		switch r.Level {
		case region.County:
			out = append(out,
				staff{Username(r.Code, "approver"), name(), r.Code, authz.CountyApprover, "审批"},
				staff{Username(r.Code, "admin"), name(), r.Code, authz.CountyAdmin, "管理"},
				staff{Username(r.Code, "training"), name(), r.Code, authz.TrainingAdmin, "培训管理"})
		case region.Township:
			out = append(out,
				staff{Username(r.Code, "officer"), name(), r.Code, authz.TownshipOfficer, "调查"},
				staff{Username(r.Code, "reviewer"), name(), r.Code, authz.TownshipReviewer, "审核"})
		case region.Village:
			out = append(out, staff{Username(r.Code, "clerk"), name(), r.Code, authz.VillageClerk, "受理"})
		}
	}
	return out
}

var errLoaded = errors.New("scale: already loaded")

// setup writes the regions, each county's standards (policy.SetValueIn,
// effective today, audited), the staff and this quarter's training of the
// township staff, in one transaction, and marks the load as started.
func setup(ctx context.Context, db *store.DB, pr progress) (int, error) {
	// One argon2 hash for every generated account (hashing 2,230 passwords
	// would take minutes): they all share the demo password anyway.
	hash, err := access.HashPassword(Password)
	if err != nil {
		return 0, err
	}
	users := 0
	err = db.InTx(ctx, authz.System("scale"), func(tx *store.Tx) error {
		if v, err := tx.MetaTx(ctx, MetaKey); err != nil {
			return err
		} else if v != "" {
			return errLoaded
		}
		regs := Regions()
		for _, r := range regs {
			if err := tx.PutRegion(ctx, r); err != nil {
				return fmt.Errorf("scale: region %s: %w", r.Code, err)
			}
		}
		if err := tx.Audit(ctx, store.Entry{Action: "scale.load", Object: "regions",
			Detail: fmt.Sprintf("省级演示数据：行政区划%d个（%d个县、%d个乡镇、%d个村（社区））", len(regs), Counties, Townships,
				Villages)}); err != nil {
			return err
		}
		now := db.Now()
		from := policy.DateOf(now)
		for _, c := range ProvinceCounties() {
			// Policy values are written within the county's scope.
			cp := authz.System("scale")
			cp.Region = c.Code
			tx.SetPrincipal(cp)
			for _, x := range []struct {
				name string
				v    string
			}{{policy.StandardUrban, c.UrbanStandard.String()}, {policy.StandardRural, c.RuralStandard.String()}} {
				if err := policy.SetValueIn(ctx, tx, now, c.Code, x.name, plain(x.v), from, "省级演示数据：本县低保标准"); err != nil {
					return fmt.Errorf("scale: %s standard of %s: %w", x.name, c.Code, err)
				}
			}
		}
		tx.SetPrincipal(authz.System("scale"))
		ids := map[string]int64{}
		hire := calendar.DayOf(now).AddDate(-3, 0, 0).Format(time.DateOnly)
		for _, s := range Staff() {
			id, err := tx.CreateUser(ctx, store.User{Username: s.username, DisplayName: s.name, PasswordHash: hash,
				Region: s.region, Roles: []authz.Role{s.role}, Posts: s.posts, HireDate: hire, Active: true})
			if err != nil {
				return fmt.Errorf("scale: user %s: %w", s.username, err)
			}
			ids[s.username] = id
			users++
		}
		if err := tx.Audit(ctx, store.Entry{Action: "scale.load", Object: "users",
			Detail: fmt.Sprintf("省级演示数据：工作人员账号%d个（共用一个口令散列）", users)}); err != nil {
			return err
		}
		if err := training(ctx, tx, now, ids); err != nil {
			return err
		}
		return tx.SetMeta(ctx, MetaKey, pr.String())
	})
	if errors.Is(err, errLoaded) {
		return 0, fmt.Errorf("another process is generating the province in this database")
	}
	return users, err
}

// plain drops the thousands separators of a money string ("1,000.00").
func plain(s string) string { return strings.ReplaceAll(s, ",", "") }

// training gives every county this quarter's regular training of its
// township staff: the plan, their enrollments, one classroom session that
// took place, attendance of two in three and their daily assessment, and
// the attended enrollments credited.
func training(ctx context.Context, tx *store.Tx, now time.Time, ids map[string]int64) error {
	today := calendar.DayOf(now)
	qs, qe := enroll.Quarter(today)
	plans, enrolled, attended := 0, 0, 0
	for ci, c := range ProvinceCounties() {
		pl := store.TrainingPlan{Kind: string(enroll.Regular), Title: enroll.QuarterLabel(today) + c.Name + "乡镇低保业务培训",
			Region: c.Code, PeriodStart: qs.Format(time.DateOnly), PeriodEnd: qe.Format(time.DateOnly),
			Audience:        `{"regions":["` + string(c.Code) + `"],"roles":["township_officer","township_reviewer"]}`,
			RequiredMinutes: 240, Categories: "policy_law,business_skills", Assessments: "daily"}
		if err := tx.CreateTrainingPlan(ctx, &pl); err != nil {
			return err
		}
		plans++
		at := now.Add(-48 * time.Hour).Truncate(time.Hour)
		sess := store.TrainingSession{PlanID: pl.ID, Kind: "classroom", Title: "低保审核确认办法解读", StartsAt: at,
			EndsAt: at.Add(4 * time.Hour), Place: c.Name + "民政局会议室", TrainerUserID: ids[Username(c.Code, "training")],
			Secret: []byte(fmt.Sprintf("scale-session-%02d", ci)), Minutes: 240}
		if err := tx.CreateTrainingSession(ctx, &sess); err != nil {
			return err
		}
		k := 0
		for _, r := range Regions() {
			if r.Level != region.Township || r.Code.County() != c.Code {
				continue
			}
			for _, role := range []string{"officer", "reviewer"} {
				e := store.Enrollment{PersonID: ids[Username(r.Code, role)], PlanID: pl.ID, Due: qe.Format(time.DateOnly),
					Reason: "季度常规培训"}
				if err := tx.InsertEnrollment(ctx, &e); err != nil {
					return err
				}
				enrolled++
				k++
				if k%3 == 0 {
					continue // not yet attended
				}
				if err := tx.InsertAttendance(ctx, store.Attendance{SessionID: sess.ID, PersonID: e.PersonID,
					CheckedInAt: at.Add(time.Duration(k) * time.Minute), Method: "code", Minutes: 240}); err != nil {
					return err
				}
				if _, err := tx.CreditEnrollment(ctx, e.ID, 240, 240); err != nil {
					return err
				}
				score := 60 + (k*37+ci*11)%41
				if err := tx.InsertAssessmentResult(ctx, &store.AssessmentResult{PersonID: e.PersonID, PlanID: pl.ID,
					Kind: "daily", Cycle: 1, Attempt: "first", Score: score, Passed: true, Source: "trainer"}); err != nil {
					return err
				}
				attended++
			}
		}
	}
	return tx.Audit(ctx, store.Entry{Action: "scale.load", Object: "training",
		Detail: fmt.Sprintf("省级演示数据：培训计划%d个，报名%d人次，签到及日常考核%d人次", plans, enrolled, attended)})
}

// State is what a database holds of the province.
type State struct {
	Started, Complete bool
	Households        int
	Seed              uint64
}

// Loaded reads the province's mark.
func Loaded(ctx context.Context, db *store.DB) (State, error) {
	v, err := db.Meta(ctx, MetaKey)
	if err != nil || v == "" {
		return State{}, err
	}
	p, err := parseProgress(v)
	if err != nil {
		return State{}, fmt.Errorf("scale: unreadable %s mark %q: %w", MetaKey, v, err)
	}
	return State{Started: true, Complete: p.complete, Households: p.households, Seed: p.seed}, nil
}

// CountiesWithRecipients lists the province's counties that have active
// recipients, in code order.
func CountiesWithRecipients(ctx context.Context, db *store.DB) ([]region.Code, error) {
	var out []region.Code
	for _, c := range ProvinceCounties() {
		n, err := db.RegisterCount(ctx, region.ScopeOf(c.Code), store.RegisterFilter{})
		if err != nil {
			return nil, err
		}
		if n > 0 {
			out = append(out, c.Code)
		}
	}
	return out, nil
}
