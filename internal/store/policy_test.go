package store_test

import (
	"errors"
	"strings"
	"testing"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

func addPolicy(db *store.DB, p authz.Principal, v store.PolicyValue) (int64, error) {
	var id int64
	err := db.InTx(ctx, p, func(tx *store.Tx) error {
		var err error
		if id, err = tx.AddPolicyValue(ctx, v); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "test.policy", Object: "policy:" + string(v.Region) + "/" + v.Name})
	})
	return id, err
}

func mustAddPolicy(t *testing.T, db *store.DB, v store.PolicyValue) int64 {
	t.Helper()
	id, err := addPolicy(db, admin(), v)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestPolicyStore(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		seedRegions(t, db)
		t.Run("round trip and chain", func(t *testing.T) { policyRoundTrip(t, db) })
		t.Run("refusals", func(t *testing.T) { policyRefusals(t, db) })
		t.Run("corrections", func(t *testing.T) { policyCorrections(t, db) })
		t.Run("append only", func(t *testing.T) { policyAppendOnly(t, db) })
	})
}

func policyRoundTrip(t *testing.T, db *store.DB) {
	townB := testenv.TownB
	c1 := mustAddPolicy(t, db, store.PolicyValue{Region: county, Name: "publicity_wd", Value: "10",
		EffectiveFrom: "2026-01-01", Note: "县文件"})
	a1 := mustAddPolicy(t, db, store.PolicyValue{Region: townA, Name: "min_investigators", Value: "3", EffectiveFrom: "2026-02-01"})
	b1 := mustAddPolicy(t, db, store.PolicyValue{Region: townB, Name: "min_investigators", Value: "4", EffectiveFrom: "2026-02-01"})
	c2 := mustAddPolicy(t, db, store.PolicyValue{Region: county, Name: "min_investigators", Value: "2", EffectiveFrom: "2027-01-01"})
	if !(c1 < a1 && a1 < b1 && b1 < c2) {
		t.Fatalf("ids not increasing: %d %d %d %d", c1, a1, b1, c2)
	}

	// The chain of a township's village: the county's rows and its own
	// township's, never the other township's; future rows included.
	rows, err := db.PolicyValues(ctx, []region.Code{county, townA, ""})
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, r := range rows {
		got = append(got, r.ID)
	}
	// Ordered by region, name, effective date, id.
	if want := []int64{c2, c1, a1}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("chain rows %v, want %v", got, want)
	}
	r := rows[1]
	if r.Region != county || r.Name != "publicity_wd" || r.Value != "10" || r.EffectiveFrom != "2026-01-01" ||
		r.Note != "县文件" || r.CreatedBy != 0 || r.CreatedByName != "test-admin" || r.CreatedAt.IsZero() ||
		r.Corrects != 0 || r.Superseded {
		t.Fatalf("row %+v", r)
	}
	if rows, err := db.PolicyValues(ctx, nil); err != nil || rows != nil {
		t.Fatalf("no regions: %v %v", rows, err)
	}

	within, err := db.PolicyValuesWithin(ctx, region.ScopeOf(townB))
	if err != nil || len(within) != 1 || within[0].ID != b1 {
		t.Fatalf("within township B: %+v %v", within, err)
	}
	if within, _ := db.PolicyValuesWithin(ctx, region.ScopeOf(county)); len(within) != 4 {
		t.Fatalf("within county: %d rows", len(within))
	}

	h, err := db.PolicyHistory(ctx, county, "min_investigators")
	if err != nil || len(h) != 1 || h[0].ID != c2 {
		t.Fatalf("history %+v %v", h, err)
	}
	if h, _ := db.PolicyHistory(ctx, county, ""); len(h) != 2 {
		t.Fatalf("all names: %d rows", len(h))
	}

	// A real account is recorded as the creator.
	p := testenv.User(t, db, "policy-admin", county, authz.CountyAdmin)
	id, err := addPolicy(db, p, store.PolicyValue{Region: county, Name: "forward_wd", Value: "5", EffectiveFrom: "2026-05-01"})
	if err != nil {
		t.Fatal(err)
	}
	err = db.InTx(ctx, admin(), func(tx *store.Tx) error {
		row, err := tx.PolicyValue(ctx, id)
		if err != nil {
			return err
		}
		if row.CreatedBy != p.UserID || row.CreatedByName != "policy-admin" {
			t.Errorf("creator %d %q", row.CreatedBy, row.CreatedByName)
		}
		if _, err := tx.PolicyValue(ctx, id+1000); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("missing id: %v", err)
		}
		inTx, err := tx.PolicyValues(ctx, []region.Code{county})
		if err != nil || len(inTx) != 3 {
			t.Errorf("in tx: %d %v", len(inTx), err)
		}
		return tx.Audit(ctx, store.Entry{Action: "test.read", Object: "policy"})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func policyRefusals(t *testing.T, db *store.DB) {
	before, err := db.PolicyValuesWithin(ctx, region.All())
	if err != nil {
		t.Fatal(err)
	}
	ok := store.PolicyValue{Region: townA, Name: "forward_wd", Value: "4", EffectiveFrom: "2026-06-01"}
	townAdmin := authz.Principal{Username: "town-admin", Roles: []authz.Role{authz.CountyAdmin}, Region: townA}
	long := strings.Repeat("说", 501)
	cases := []struct {
		name  string
		p     authz.Principal
		edit  func(v *store.PolicyValue)
		code  errs.Code
		field string
		msg   string
	}{
		{"out of scope: county from a township", townAdmin, func(v *store.PolicyValue) { v.Region = county }, errs.Forbidden, "region_code", "不在您的管辖范围内"},
		{"out of scope: other township", townAdmin, func(v *store.PolicyValue) { v.Region = testenv.TownB }, errs.Forbidden, "region_code", "不在您的管辖范围内"},
		{"no region scope", authz.System("batch"), func(v *store.PolicyValue) {}, errs.Forbidden, "region_code", "不在您的管辖范围内"},
		{"village", admin(), func(v *store.PolicyValue) { v.Region = villageA }, errs.Invalid, "region_code", "只能按县（区）或乡镇（街道）设置"},
		{"unknown region", admin(), func(v *store.PolicyValue) { v.Region = "130199109000" }, errs.Invalid, "region_code", "行政区划不存在"},
		{"malformed region", admin(), func(v *store.PolicyValue) { v.Region = "13019910100" }, errs.Forbidden, "region_code", "不在您的管辖范围内"},
		{"no name", admin(), func(v *store.PolicyValue) { v.Name = " " }, errs.Invalid, "name", "请选择政策参数"},
		{"no value", admin(), func(v *store.PolicyValue) { v.Value = "" }, errs.Invalid, "value", "请填写参数值"},
		{"bad date", admin(), func(v *store.PolicyValue) { v.EffectiveFrom = "2026-6-1" }, errs.Invalid, "effective_from", "YYYY-MM-DD"},
		{"impossible date", admin(), func(v *store.PolicyValue) { v.EffectiveFrom = "2026-02-30" }, errs.Invalid, "effective_from", "YYYY-MM-DD"},
		{"note too long", admin(), func(v *store.PolicyValue) { v.Note = long }, errs.Invalid, "note", "说明不能超过500个字"},
		{"corrects nothing", admin(), func(v *store.PolicyValue) { v.Corrects = 999999 }, errs.Invalid, "version", "被更正的参数版本不存在"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := ok
			c.edit(&v)
			_, err := addPolicy(db, c.p, v)
			e := errs.As(err)
			if err == nil || e.Code != c.code || e.Field != c.field || !strings.Contains(e.Message, c.msg) {
				t.Fatalf("got %v, want %s %s %q", err, c.code, c.field, c.msg)
			}
		})
	}
	// Without an audit record nothing is written either.
	err = db.InTx(ctx, admin(), func(tx *store.Tx) error {
		_, err := tx.AddPolicyValue(ctx, ok)
		return err
	})
	if !errors.Is(err, store.ErrUnaudited) {
		t.Fatalf("unaudited write: %v", err)
	}
	after, err := db.PolicyValuesWithin(ctx, region.All())
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("refusals wrote rows: %d → %d", len(before), len(after))
	}
	// The township-scoped principal may write its own township.
	if _, err := addPolicy(db, townAdmin, ok); err != nil {
		t.Fatal(err)
	}
}

func policyCorrections(t *testing.T, db *store.DB) {
	v := store.PolicyValue{Region: county, Name: "standard.urban", Value: "950.00", EffectiveFrom: "2026-07-01"}
	first := mustAddPolicy(t, db, v)
	// A correction must keep region, name and date of what it corrects.
	for name, edit := range map[string]func(w *store.PolicyValue){
		"other date":   func(w *store.PolicyValue) { w.EffectiveFrom = "2026-07-02" },
		"other name":   func(w *store.PolicyValue) { w.Name = "standard.rural" },
		"other region": func(w *store.PolicyValue) { w.Region = townA },
	} {
		w := v
		w.Value, w.Corrects = "960.00", first
		edit(&w)
		if _, err := addPolicy(db, admin(), w); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("%s: %v", name, err)
		}
	}
	w := v
	w.Value, w.Corrects = "960.00", first
	second := mustAddPolicy(t, db, w)
	h, err := db.PolicyHistory(ctx, county, "standard.urban")
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[0].ID != first || !h[0].Superseded || h[1].ID != second || h[1].Superseded || h[1].Corrects != first {
		t.Fatalf("history %+v", h)
	}
	if h[0].Value != "950.00" {
		t.Fatal("the corrected row changed")
	}
}

func policyAppendOnly(t *testing.T, db *store.DB) {
	rows, err := db.PolicyValuesWithin(ctx, region.All())
	if err != nil || len(rows) == 0 {
		t.Fatalf("rows %d %v", len(rows), err)
	}
	if err := db.ExecRaw(ctx, "UPDATE policy_values SET value = '1' WHERE id = ?", rows[0].ID); err == nil ||
		!strings.Contains(err.Error(), "append-only") {
		t.Errorf("update allowed: %v", err)
	}
	if err := db.ExecRaw(ctx, "DELETE FROM policy_values WHERE id = ?", rows[0].ID); err == nil ||
		!strings.Contains(err.Error(), "append-only") {
		t.Errorf("delete allowed: %v", err)
	}
}
