package web

import (
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"dibao/internal/errs"
	"dibao/internal/household"
)

// FuzzHouseholdForm parses arbitrary household form bodies the way the
// create and edit handlers do: never a panic, at most maxRows member rows,
// dropBlankRows keeps the head's row, and the service's parser answers
// either a household or a list of field errors that the form can show.
func FuzzHouseholdForm(f *testing.F) {
	f.Add("region_code=130199101201&address=%E6%9D%8E%E5%AE%B6%E5%BA%84&urban=0&phone=13800000000&member_name=%E5%BC%A0%E4%B8%89&member_relation=head&member_id_number=130199197001010011&member_disability_grade=0&member_labour=full&member_health=healthy&member_co_resident=1&version=3")
	f.Add("member_name=a&member_name=b&member_name=&member_relation=head&member_relation=spouse&member_id=7&member_id=x")
	f.Add("region_code=bogus&phone_clear=1&bank_account_clear=on&member_disability_grade=9&member_co_resident=maybe")
	f.Add("%zz=1&&=&member_name=%00")
	f.Add("")
	today := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body string) {
		r, _ := http.NewRequest("POST", "/households", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if err := r.ParseForm(); err != nil {
			return // the handler answers 400 through parseForm
		}
		form := readForm(r)
		if len(form.Members) > maxRows {
			t.Fatalf("%d member rows read", len(form.Members))
		}
		n := len(form.Members)
		if n > 0 {
			form.dropBlankRows()
			if len(form.Members) == 0 {
				t.Fatal("dropBlankRows dropped the head's row")
			}
		}
		h, err := household.Parse(form.draft(), today)
		if err != nil {
			if !formFailure(err) {
				t.Fatalf("form input gave an error page, not the form: %v", err)
			}
			top, rows, summary := formErrors(err, form)
			if len(top) == 0 && len(rows) == 0 && len(summary) == 0 {
				t.Fatalf("error %v shows nothing on the form", err)
			}
			return
		}
		if len(h.Members) == 0 || len(h.Members) > household.MaxMembers || h.Members[0].Relation != "head" {
			t.Fatalf("parsed household with members %+v", h.Members)
		}
	})
}

// FuzzHouseholdFilter: the list filter read from a query never panics,
// its name is at most 30 characters, and its own link reads back as the
// same filter.
func FuzzHouseholdFilter(f *testing.F) {
	f.Add("region_code=130199101201&name=%E5%BC%A0&urban=rural&page=2")
	f.Add("region_code=13&name=" + strings.Repeat("%E5%BC%A0", 40) + "&urban=x")
	f.Add("name=%ff%fe&page=-1")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		lf, sf := filterFrom(q)
		if len([]rune(lf.Name)) > 30 || sf.Name != lf.Name || (lf.Urban != "" && lf.Urban != "urban" && lf.Urban != "rural") {
			t.Fatalf("filter %+v / %+v", lf, sf)
		}
		if lf.Error != "" && lf.Region != "" {
			t.Fatalf("invalid region kept: %+v", lf)
		}
		link := lf.query(2)
		u, err := url.Parse(link)
		if err != nil {
			t.Fatalf("link %q: %v", link, err)
		}
		again, _ := filterFrom(u.Query())
		if again.Region != lf.Region || again.Name != strings.TrimSpace(lf.Name) || again.Urban != lf.Urban {
			t.Fatalf("link %q reads back as %+v, not %+v", link, again, lf)
		}
	})
}

// FuzzRecipientFilter: the register filter never panics, a value it
// refuses is reported under its own field and not applied, and the
// filter's links read back as the same filter.
func FuzzRecipientFilter(f *testing.F) {
	f.Add("region=130199101201&category=A&urban=urban&min=100&max=350.50&status=suspended&due_by=2026-12-31")
	f.Add("region=999&category=Z&min=abc&max=-1&status=x&due_by=2026-02-30")
	f.Add("min=500&max=100&due_by=%E4%BA%8C%E3%80%87")
	allowed := map[string]bool{"130199101201": true, "130199101000": true}
	cats := map[string]string{"A": "A类", "B": "B类", "C": "C类"}
	fields := map[string]bool{"region": true, "category": true, "min": true, "max": true, "status": true, "due_by": true}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		rf, sf := recipientFilterFrom(q, allowed, cats)
		for k, m := range rf.Errors {
			if !fields[k] || m == "" {
				t.Fatalf("error %q: %q", k, m)
			}
		}
		if rf.Errors["region"] != "" && sf.Region != "" || sf.Region != "" && !allowed[string(sf.Region)] {
			t.Fatalf("region %q applied (errors %v)", sf.Region, rf.Errors)
		}
		if rf.Errors["due_by"] != "" && sf.ReviewDueBy != "" {
			t.Fatalf("bad due date applied: %q", sf.ReviewDueBy)
		}
		if len(rf.Errors) > 0 {
			return
		}
		again, sf2 := recipientFilterFrom(rf.values(), allowed, cats)
		again.Errors, rf.Errors = nil, nil
		if !reflect.DeepEqual(again, rf) || sf2.Region != sf.Region || sf2.MinAmount != sf.MinAmount || sf2.MaxAmount != sf.MaxAmount || sf2.ReviewDueBy != sf.ReviewDueBy {
			t.Fatalf("filter %+v reads back as %+v", rf, again)
		}
	})
}

// FuzzFormDates covers the date and number inputs of the training and
// exam forms: the appraisal period, datetime-local times and the spot
// check seed. A value accepted is canonical; a refusal is a field error.
func FuzzFormDates(f *testing.F) {
	f.Add("2026-01-01", "2026-12-31", "2026-09-28T09:30", "42")
	f.Add("2026-12-31", "2026-01-01", "2026-09-28 09:30", "0")
	f.Add("2026-02-30", "", "2026-13-01T25:61", "-1")
	f.Add("", "9999-12-31", "", "18446744073709551616")
	f.Fuzz(func(t *testing.T, from, to, local, seed string) {
		a, b, err := parsePeriod(from, to)
		if err != nil {
			if e := errs.As(err); e.Code != errs.Invalid || e.Field != "period" || !a.IsZero() || !b.IsZero() {
				t.Fatalf("parsePeriod(%q,%q) error %#v", from, to, err)
			}
		} else if b.Before(a) || a.Format(time.DateOnly) != from || b.Format(time.DateOnly) != to {
			t.Fatalf("parsePeriod(%q,%q) = %v %v", from, to, a, b)
		}
		if tm, ok := parseLocal(local); ok && local != "" && tm.Format("2006-01-02T15:04") != local {
			t.Fatalf("parseLocal(%q) = %v", local, tm)
		} else if !ok && !tm.IsZero() {
			t.Fatalf("parseLocal(%q) refused with %v", local, tm)
		}
		n, err := parseSeed(seed)
		if err != nil {
			if e := errs.As(err); e.Field != "seed" || n != 0 {
				t.Fatalf("parseSeed(%q) = %d, %#v", seed, n, err)
			}
		} else if strings.TrimSpace(seed) != "" && n == 0 {
			t.Fatalf("parseSeed(%q) = 0", seed)
		}
	})
}

// FuzzExamForm reads arbitrary exam and question forms: never a panic;
// an exam refused is a list of field errors; a question read from the form
// has only options that were filled in and answers that point at them.
func FuzzExamForm(f *testing.F) {
	f.Add("title=%E6%9C%9F%E6%9C%AB&plan_id=1&opens_at=2026-09-28T09:00&closes_at=2026-09-28T11:00&minutes=60&points=5&q=1&q=2&kind=single&category=policy&difficulty=1&stem=x&opt0=a&opt1=b&correct=1")
	f.Add("mode=rule&points=2&n_policy_1=3&n_skills_2=-1&minutes=x&plan_id=y&kind=multiple&opt0=&opt1=b&opt2=c&correct=0&correct=2&correct=9")
	f.Add("kind=truefalse&tf=7&kind=fill&accepted=a")
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		if _, err := examInput(v); err != nil {
			var l errs.List
			if !errors.As(err, &l) || len(l) == 0 {
				t.Fatalf("examInput error %#v is not a field list", err)
			}
			for _, e := range l {
				if e.Field == "" || e.Message == "" {
					t.Fatalf("error without field: %+v", e)
				}
			}
		}
		q := questionFromForm(v)
		for _, o := range q.Options {
			if strings.TrimSpace(o) == "" {
				t.Fatalf("blank option kept: %q", q.Options)
			}
		}
		if len(q.Options) > 0 {
			for _, c := range q.Correct {
				if c < 0 || c >= len(q.Options) {
					t.Fatalf("answer %d outside options %q", c, q.Options)
				}
			}
		}
		_ = q.Check()
	})
}

// FuzzTrainingForms reads arbitrary training plan and session forms:
// never a panic; refusals are field lists; accepted hours and minutes are
// positive, and dates read are the civil days typed.
func FuzzTrainingForms(f *testing.F) {
	f.Add("kind=regular&title=x&period_start=2026-01-01&period_end=2026-12-31&required_hours=1.5&plan_id=3&starts_at=2026-09-28T09:00&ends_at=2026-09-28T11:00&minutes=90&trainer_id=4")
	f.Add("kind=special&special_start=2026-02-30&required_hours=-2&hired_from=x&plan_id=0&starts_at=2026-09-28&minutes=0&trainer_id=y")
	f.Add("required_hours=1e300&minutes=99999999999999999999")
	f.Add("required_hours=NaN")
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		r := &http.Request{PostForm: v}
		pf := readPlanForm(r)
		pl, err := pf.plan()
		if err != nil {
			var l errs.List
			if !errors.As(err, &l) || len(l) == 0 {
				t.Fatalf("plan error %#v", err)
			}
		} else {
			if pf.Hours != "" && pl.RequiredMinutes <= 0 {
				t.Fatalf("hours %q gave %d minutes", pf.Hours, pl.RequiredMinutes)
			}
			if pf.Start != "" && pl.Period.Start.Format(time.DateOnly) != pf.Start {
				t.Fatalf("start %q read as %v", pf.Start, pl.Period.Start)
			}
		}
		sf := readSessionForm(r)
		_, d, err := sf.draft()
		if err != nil {
			var l errs.List
			if !errors.As(err, &l) || len(l) == 0 {
				t.Fatalf("session error %#v", err)
			}
		} else if sf.Minutes != "" && d.Minutes <= 0 {
			t.Fatalf("minutes %q gave %d", sf.Minutes, d.Minutes)
		}
	})
}
