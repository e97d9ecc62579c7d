package testenv

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/money"
	"dibao/internal/region"
	"dibao/internal/store"
)

// Fixtures of the recipient register and of case timelines (issue 4
// register pages and county statistics), written straight to the store.

var fixtureSeq atomic.Int64

// RecipientSpec is one recipient household to write.
type RecipientSpec struct {
	Village     region.Code
	Head        string // head of household's name
	Urban       bool
	Category    string // default "B"
	Amount      money.Fen
	Members     int    // default 1
	Start       string // YYYY-MM, default 2026-01
	Status      string // default active
	EndMonth    string
	CaseBenefit string // JSON benefit result on the approving case
	Benefit     string // JSON benefit result of the last decision, "" = none
	ReviewDue   string // YYYY-MM-DD of an open periodic review task, "" = none
}

// Recipient writes a household with its head, a closed approved case and
// the register row with its enrolment history; it returns the household
// and case ids.
func Recipient(t testing.TB, db *store.DB, s RecipientSpec) (householdID, caseID int64) {
	t.Helper()
	ctx := context.Background()
	if s.Category == "" {
		s.Category = "B"
	}
	if s.Members == 0 {
		s.Members = 1
	}
	if s.Start == "" {
		s.Start = "2026-01"
	}
	if s.Status == "" {
		s.Status = "active"
	}
	n := fixtureSeq.Add(1)
	h := household.Household{Region: s.Village, Address: "测试路" + fmt.Sprint(n) + "号", Urban: s.Urban}
	h.Members = append(h.Members, household.Member{Name: s.Head, Relation: "head", Labour: "full", Health: "healthy",
		CoResident: true, IDNumber: idcard.Make("130199", time.Date(1950+int(n%50), time.Month(1+n%12), 1+int(n%28), 0, 0, 0, 0, time.UTC), int(n%1000))})
	err := db.InTx(ctx, Admin(), func(tx *store.Tx) error {
		if err := tx.CreateHousehold(ctx, &h); err != nil {
			return err
		}
		c := store.Case{Number: fmt.Sprintf("T-REG-%d", n), HouseholdID: h.ID, Region: s.Village, Profile: "seed",
			State: "approved", Policy: "{}"}
		if err := tx.CreateCase(ctx, &c); err != nil {
			return err
		}
		c.Closed, c.Benefit, c.Amount, c.Category, c.StartMonth = true, s.CaseBenefit, s.Amount, s.Category, s.Start
		if err := tx.SaveCase(ctx, &c, c.Version); err != nil {
			return err
		}
		caseID = c.ID
		if err := tx.Enroll(ctx, store.Recipient{HouseholdID: h.ID, CaseID: c.ID, Region: s.Village, Category: s.Category,
			Amount: s.Amount, Members: s.Members, StartMonth: s.Start, Status: s.Status}); err != nil {
			return err
		}
		if err := tx.AppendHistory(ctx, &store.HistoryEntry{HouseholdID: h.ID, Kind: "enrolled", NewAmount: s.Amount,
			EffectiveMonth: s.Start, Reason: "批准纳入", CaseID: c.ID}); err != nil {
			return err
		}
		if s.Benefit != "" || s.EndMonth != "" {
			e, err := tx.RecipientForUpdate(ctx, region.ScopeOf(s.Village), h.ID)
			if err != nil {
				return err
			}
			e.Benefit, e.EndMonth = s.Benefit, s.EndMonth
			if err := tx.UpdateRecipient(ctx, &e); err != nil {
				return err
			}
		}
		if s.ReviewDue != "" {
			if _, err := tx.CreateReviewTask(ctx, &store.ReviewTask{HouseholdID: h.ID, Region: s.Village, Kind: "periodic",
				Due: s.ReviewDue}); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, store.Entry{Action: "test.recipient", Object: fmt.Sprint("household:", h.ID)})
	})
	if err != nil {
		t.Fatal(err)
	}
	return h.ID, caseID
}

// History appends a change to a recipient's history at time at. It sets
// the store's clock to at: the caller sets it back if it relies on it.
func History(t testing.TB, db *store.DB, at time.Time, h store.HistoryEntry) {
	t.Helper()
	ctx := context.Background()
	db.SetClock(func() time.Time { return at })
	err := db.InTx(ctx, Admin(), func(tx *store.Tx) error {
		if err := tx.AppendHistory(ctx, &h); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "test.history", Object: fmt.Sprint("household:", h.HouseholdID)})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Step is one event of a case timeline: the case entered state To at At.
type Step struct {
	To string
	At time.Time
}

// CaseSpec is an application with its timeline.
type CaseSpec struct {
	Village  region.Code
	Head     string
	Profile  string // default "seed"
	Steps    []Step // in order; the case ends in the last step's state
	DueDate  string
	TotalDue string
	Closed   bool
}

// Case writes a household and an application that went through the steps
// at their times. It sets the store's clock to each step's time: the
// caller sets it back if it relies on it.
func Case(t testing.TB, db *store.DB, s CaseSpec) int64 {
	t.Helper()
	ctx := context.Background()
	if s.Profile == "" {
		s.Profile = "seed"
	}
	n := fixtureSeq.Add(1)
	h := household.Household{Region: s.Village, Address: "测试路" + fmt.Sprint(n) + "号"}
	h.Members = append(h.Members, household.Member{Name: s.Head, Relation: "head", Labour: "full", Health: "healthy",
		CoResident: true, IDNumber: idcard.Make("130199", time.Date(1950+int(n%50), time.Month(1+n%12), 1+int(n%28), 0, 0, 0, 0, time.UTC), int(n%1000))})
	var c store.Case
	from := ""
	for i, st := range s.Steps {
		db.SetClock(func() time.Time { return st.At })
		err := db.InTx(ctx, Admin(), func(tx *store.Tx) error {
			if i == 0 {
				if err := tx.CreateHousehold(ctx, &h); err != nil {
					return err
				}
				c = store.Case{Number: fmt.Sprintf("T-CASE-%d", n), HouseholdID: h.ID, Region: s.Village, Profile: s.Profile,
					State: st.To, Policy: "{}"}
				if err := tx.CreateCase(ctx, &c); err != nil {
					return err
				}
			} else {
				cur, err := tx.CaseForUpdate(ctx, c.ID)
				if err != nil {
					return err
				}
				c = cur
			}
			c.State, c.StateSince = st.To, st.At
			if i == len(s.Steps)-1 {
				c.DueDate, c.TotalDue, c.Closed = s.DueDate, s.TotalDue, s.Closed
			}
			if err := tx.SaveCase(ctx, &c, c.Version); err != nil {
				return err
			}
			if err := tx.AppendEvent(ctx, &store.Event{CaseID: c.ID, Transition: "t" + fmt.Sprint(i), From: from, To: st.To}); err != nil {
				return err
			}
			return tx.Audit(ctx, store.Entry{Action: "test.case", Object: fmt.Sprint("case:", c.ID)})
		})
		if err != nil {
			t.Fatal(err)
		}
		from = st.To
	}
	return c.ID
}
