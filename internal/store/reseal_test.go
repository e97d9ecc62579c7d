package store_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"dibao/internal/fieldcrypt"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// TestKeyRotationReseal rotates the field key and re-seals everything: the
// data reads the same, the ID look-up still works, nothing is left under the
// old key (a keyring without it opens every value), a second run does
// nothing, and the audit chain holds.
func TestKeyRotationReseal(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		seedRegions(t, db)
		oldFile, err := fieldcrypt.Generate()
		if err != nil {
			t.Fatal(err)
		}
		oldKR, err := fieldcrypt.Parse(oldFile)
		if err != nil {
			t.Fatal(err)
		}
		db.SetSealer(oldKR)
		h := sample(t, villageA, 3)
		h.Members[1].DisabilityGrade, h.Members[1].DisabilityDetail = 2, "肢体残疾二级"
		if err := create(t, db, clerk(villageA), &h); err != nil {
			t.Fatal(err)
		}
		caseID := testenv.Case(t, db, testenv.CaseSpec{Village: villageA, Head: "李四",
			Steps: []testenv.Step{{To: "applied", At: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}}})
		db.SetClock(time.Now)
		scan := []byte("%PDF-1.4 scan of 户口本 " + string(h.Members[0].IDNumber))
		if err := db.InTx(ctx, admin(), func(tx *store.Tx) error {
			if err := tx.AddFile(ctx, &store.CaseFile{CaseID: caseID, Token: "tok-sealed", Material: "hukou", Name: "a.pdf",
				ContentType: "application/pdf", Size: len(scan), Checksum: "x", Data: scan}); err != nil {
				return err
			}
			return tx.Audit(ctx, store.Entry{Action: "case.file", Object: "case:x"})
		}); err != nil {
			t.Fatal(err)
		}
		// A scan stored in clear by an older release.
		legacy := []byte("%PDF-1.4 legacy scan")
		if err := db.ExecRaw(ctx, `INSERT INTO case_files (case_id, token, material, name, content_type, size, checksum, data,
			uploaded_at) VALUES (?, 'tok-legacy', 'hukou', 'b.pdf', 'application/pdf', ?, 'y', ?, 0)`, caseID, len(legacy), legacy); err != nil {
			t.Fatal(err)
		}
		raw, err := db.QueryStrings(ctx, "SELECT data FROM case_files WHERE token = 'tok-sealed'")
		if err != nil || len(raw) != 1 || strings.Contains(raw[0], string(h.Members[0].IDNumber)) || !strings.HasPrefix(raw[0], "sm4gcm$") {
			t.Fatalf("an uploaded scan must be stored sealed: %v %.40q", err, raw)
		}

		newFile, newID, err := fieldcrypt.Rotate(oldFile)
		if err != nil {
			t.Fatal(err)
		}
		newKR, err := fieldcrypt.Parse(newFile)
		if err != nil {
			t.Fatal(err)
		}
		db.SetSealer(newKR)
		res, err := db.Reseal(ctx, admin(), 2, nil) // tiny batches: many transactions
		if err != nil {
			t.Fatal(err)
		}
		// 3 member IDs, 1 disability, the phone and bank, the case household's ID, 2 files.
		if res.Resealed != 9 || res.ByColumn["case_files.data"] != 2 {
			t.Fatalf("resealed %d values (%v), want 9", res.Resealed, res.ByColumn)
		}
		again, err := db.Reseal(ctx, admin(), 500, nil)
		if err != nil || again.Resealed != 0 {
			t.Fatalf("second run resealed %d (%v), want 0", again.Resealed, err)
		}

		// Drop the old key: everything must still open.
		var only []string
		for _, l := range strings.Split(string(newFile), "\n") {
			if !strings.HasPrefix(l, oldKR.ActiveKeyID()+" ") {
				only = append(only, l)
			}
		}
		onlyNew, err := fieldcrypt.Parse([]byte(strings.Join(only, "\n")))
		if err != nil {
			t.Fatal(err)
		}
		db.SetSealer(onlyNew)
		got, err := db.Household(ctx, region.ScopeOf(villageA), h.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Phone != h.Phone || got.BankAccount != h.BankAccount || got.Members[0].IDNumber != h.Members[0].IDNumber ||
			got.Members[1].DisabilityDetail != "肢体残疾二级" {
			t.Fatalf("household changed by the re-seal: %+v", got)
		}
		rows, total, err := db.Households(ctx, region.ScopeOf(county), store.HouseholdFilter{IDNumber: h.Members[2].IDNumber})
		if err != nil || total != 1 || rows[0].ID != h.ID {
			t.Fatalf("ID look-up after rotation: %d rows, %v", total, err)
		}
		for tok, want := range map[string][]byte{"tok-sealed": scan, "tok-legacy": legacy} {
			f, err := db.FileByToken(ctx, region.ScopeOf(county), tok)
			if err != nil || !bytes.Equal(f.Data, want) {
				t.Fatalf("file %s after re-seal: %.30q, %v", tok, f.Data, err)
			}
		}
		for _, col := range [][2]string{{"members", "id_enc"}, {"households", "bank_enc"}, {"members", "disability_enc"}} {
			vals, err := db.QueryStrings(ctx, "SELECT "+col[1]+" FROM "+col[0]+" WHERE "+col[1]+" <> ''")
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if !strings.HasPrefix(v, fieldcrypt.AlgSM4GCM+"$"+newID+"$") {
					t.Fatalf("%s.%s still holds %.20q…", col[0], col[1], v)
				}
			}
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Fatalf("audit chain after re-seal: %v", err)
		}
		if n, err := db.QueryStrings(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = 'key.reseal'"); err != nil || n[0] == "0" {
			t.Fatalf("re-seal batches not audited: %v %v", n, err)
		}
	})
}

// TestEveryEncColumnIsResealed reads the schema: a new *_enc column that
// the re-seal job does not know would keep values under a retired key.
func TestEveryEncColumnIsResealed(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		q := `SELECT m.name || '.' || p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
			WHERE m.type = 'table' AND p.name LIKE '%\_enc' ESCAPE '\'`
		if db.Dialect() == store.Postgres {
			q = `SELECT table_name || '.' || column_name FROM information_schema.columns
				WHERE table_schema = current_schema() AND column_name LIKE '%\_enc' ESCAPE '\'`
		}
		cols, err := db.QueryStrings(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(cols) < 5 {
			t.Fatalf("schema query found only %v", cols)
		}
		known := store.SealedColumns()
		for _, c := range cols {
			if !slices.Contains(known, c) {
				t.Errorf("sealed column %s is not in store.sealedColumns: `dibao key reseal` would skip it", c)
			}
		}
	})
}
