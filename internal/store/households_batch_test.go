package store_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// TestHouseholdsByID: the batch loader reads exactly what Household reads,
// one household at a time, and nothing outside the scope.
func TestHouseholdsByID(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		testenv.SeedRegions(t, db)
		var ids []int64
		for i := range 4 {
			village := testenv.VillageA
			if i == 3 {
				village = testenv.VillageB
			}
			h := household.Household{Region: village, Address: fmt.Sprintf("批量路%d号", i), Phone: "13900000000",
				BankName: "农村信用社", BankAccount: fmt.Sprintf("622848000000%d", i), Urban: i == 1}
			for j := 0; j <= i%3; j++ {
				h.Members = append(h.Members, household.Member{Name: fmt.Sprintf("批%d%d", i, j), Relation: []household.Relation{"head", "spouse", "child"}[j],
					IDNumber: idcard.Make("130199", time.Date(1950+i, time.Month(1+j), 1, 0, 0, 0, 0, time.UTC), 10*i+j),
					Labour:   "none", Health: "chronic", HealthDetail: "高血压", CoResident: true, DisabilityGrade: j, DisabilityDetail: map[bool]string{true: "肢体", false: ""}[j > 0]})
			}
			err := db.InTx(ctx, testenv.Admin(), func(tx *store.Tx) error {
				if err := tx.CreateHousehold(ctx, &h); err != nil {
					return err
				}
				if i != 2 {
					if _, err := tx.AddIncome(ctx, h.ID, h.Version, household.Income{Kind: "wage", Description: "打零工",
						Amount: 120000, Months: 12, MemberID: h.Members[0].ID}); err != nil {
						return err
					}
					if _, err := tx.AddProperty(ctx, h.ID, h.Version+1, household.Property{Kind: "deposit", Value: 500000, Quantity: 1}); err != nil {
						return err
					}
				}
				return tx.Audit(ctx, store.Entry{Action: "test.household", Object: "household"})
			})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, h.ID)
		}
		county := region.ScopeOf(testenv.County)
		got, err := db.HouseholdsByID(ctx, county, append(ids, 999999))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(ids) {
			t.Fatalf("loaded %d households, want %d", len(got), len(ids))
		}
		for _, id := range ids {
			want, err := db.Household(ctx, county, id)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got[id], want) {
				t.Fatalf("household %d:\nbatch  %+v\nsingle %+v", id, got[id], want)
			}
		}
		inB, err := db.HouseholdsByID(ctx, region.ScopeOf(testenv.VillageB), ids)
		if err != nil || len(inB) != 1 || inB[ids[3]].ID != ids[3] {
			t.Fatalf("village B scope: %d households (%v), want only %d", len(inB), err, ids[3])
		}
	})
}
