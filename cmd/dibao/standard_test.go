package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"dibao/internal/calendar"
	"dibao/internal/fieldcrypt"
	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/money"
	"dibao/internal/roster"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// built is the dibao binary of this test run, compiled once (buildDibao)
// into a directory TestMain removes.
var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
	out  []byte
}

// buildDibao compiles this command once per test binary and returns its path.
func buildDibao(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "dibao-bin-"); built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "dibao")
		built.out, built.err = exec.Command("go", "build", "-o", built.bin, ".").CombinedOutput()
	})
	if built.err != nil {
		t.Fatalf("go build: %v\n%s", built.err, built.out)
	}
	return built.bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// seedRecipients enrolls n rural one-person elderly households without
// income, each paid 1000 yuan, in two villages of the test county.
func seedRecipients(t *testing.T, db *store.DB, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	testenv.SeedRegions(t, db)
	var ids []int64
	err := db.InTx(ctx, testenv.Admin(), func(tx *store.Tx) error {
		for i := range n {
			village := testenv.VillageA
			if i%2 == 1 {
				village = testenv.VillageB
			}
			birth := time.Date(1945, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i)
			h := household.Household{Region: village, Address: "幸福路1号", BankName: "农村信用社",
				BankAccount: fmt.Sprintf("622848001234%07d", i),
				Members: []household.Member{{Name: fmt.Sprintf("王%d", i), Relation: "head",
					IDNumber: idcard.Make("130199", birth, i%1000), Labour: "none", Health: "healthy", CoResident: true}}}
			if err := tx.CreateHousehold(ctx, &h); err != nil {
				return err
			}
			c := store.Case{Number: fmt.Sprintf("CRASH-%d", i), HouseholdID: h.ID, Region: village, Profile: "seed",
				State: "approved", Policy: "{}"}
			if err := tx.CreateCase(ctx, &c); err != nil {
				return err
			}
			if err := tx.Enroll(ctx, store.Recipient{HouseholdID: h.ID, CaseID: c.ID, Region: village, Category: "A",
				Amount: money.FromYuan(1000), Members: 1, StartMonth: "2025-06", Status: "active"}); err != nil {
				return err
			}
			ids = append(ids, h.ID)
		}
		return tx.Audit(ctx, store.Entry{Action: "test.enroll", Object: "county:" + string(testenv.County)})
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func count(t *testing.T, db *store.DB, q string, args ...any) string {
	t.Helper()
	xs, err := db.QueryStrings(context.Background(), q, args...)
	if err != nil || len(xs) != 1 {
		t.Fatalf("%s: %v %v", q, xs, err)
	}
	return xs[0]
}

// TestStandardApplyResumesAfterCrash is the done-when test of issue 4: the
// dibao binary applies a standard change, exits part-way as a crash would
// (the test hook DIBAO_TEST_EXIT_AFTER_CHUNKS makes it call os.Exit after
// two chunks), is started again and finishes, and every household is
// adjusted exactly once.
func TestStandardApplyResumesAfterCrash(t *testing.T) {
	bin := buildDibao(t)
	const households, chunk = 600, 100
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			content, err := fieldcrypt.Generate()
			if err != nil {
				t.Fatal(err)
			}
			kr, err := fieldcrypt.Parse(content)
			if err != nil {
				t.Fatal(err)
			}
			var db *store.DB
			var dsn string
			if kind == "sqlite" {
				dsn = filepath.Join(t.TempDir(), "dibao.db")
				if db, err = store.Open(ctx, dsn); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				if err := db.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
			} else {
				db, dsn = testenv.PostgresDSN(t)
			}
			db.SetSealer(kr)
			ids := seedRecipients(t, db, households)

			data := t.TempDir() // holds the key file the binary reads
			if err := os.WriteFile(filepath.Join(data, "dibao.key"), content, 0o600); err != nil {
				t.Fatal(err)
			}
			dibao := func(hook string, args ...string) (stdout, stderr string, code int) {
				cmd := exec.Command(bin, append(args, "--data", data, "--db", dsn)...)
				var env []string
				for _, kv := range os.Environ() {
					if !strings.HasPrefix(kv, "DIBAO_") {
						env = append(env, kv)
					}
				}
				if hook != "" {
					env = append(env, exitAfterChunksEnv+"="+hook)
				}
				cmd.Env = env
				var o, e bytes.Buffer
				cmd.Stdout, cmd.Stderr = &o, &e
				err := cmd.Run()
				var ee *exec.ExitError
				switch {
				case err == nil:
				case errors.As(err, &ee):
					code = ee.ExitCode()
				default:
					t.Fatal(err)
				}
				return o.String(), e.String(), code
			}

			now := time.Now().In(calendar.Location())
			effective := roster.MonthOf(now.Year(), now.Month()).Next().String()
			out, errOut, code := dibao("", "standard", "preview", "--county", string(testenv.County), "--urban", "1000",
				"--rural", "800", "--effective", effective)
			m := regexp.MustCompile(`标准调整 #(\d+)`).FindStringSubmatch(out)
			if code != 0 || m == nil || !strings.Contains(out, fmt.Sprintf("重新核算 %d 户", households)) {
				t.Fatalf("preview: exit %d\n%s\n%s", code, out, errOut)
			}
			id := m[1]
			if _, errOut, code := dibao("", "standard", "preview", "--county", string(testenv.County), "--urban", "-5",
				"--rural", "abc", "--effective", "2027-13"); code != 1 || !strings.Contains(errOut, "--urban：") ||
				!strings.Contains(errOut, "--rural：") || !strings.Contains(errOut, "--effective：") {
				t.Fatalf("bad input: exit %d: %s", code, errOut)
			}

			// The first run dies after two chunks.
			_, errOut, code = dibao("2", "standard", "apply", "--id", id, "--chunk", fmt.Sprint(chunk))
			if code != 3 {
				t.Fatalf("crashing run: exit %d, want 3\n%s", code, errOut)
			}
			applied := count(t, db, "SELECT COUNT(*) FROM standard_change_items WHERE change_id = ? AND applied = 1", id)
			hist := count(t, db, "SELECT COUNT(*) FROM recipient_history WHERE change_id = ?", id)
			if applied != fmt.Sprint(2*chunk) || hist != applied {
				t.Fatalf("after the crash: %s items applied, %s history rows; want %d of %d", applied, hist, 2*chunk, households)
			}
			if st := count(t, db, "SELECT status FROM standard_changes WHERE id = ?", id); st != "applying" {
				t.Fatalf("status after the crash: %s", st)
			}

			// The restart continues where it stopped.
			out, errOut, code = dibao("", "standard", "apply", "--id", id, "--chunk", fmt.Sprint(chunk))
			if code != 0 || !strings.Contains(errOut, fmt.Sprintf("[%s] %d/%d", strings.Repeat("#", 30), households, households)) ||
				!strings.Contains(errOut, fmt.Sprintf("] %d/%d", 2*chunk, households)) || !strings.Contains(out, "已执行") {
				t.Fatalf("resumed run: exit %d\n%s\n%s", code, out, errOut)
			}
			perHousehold, err := db.QueryStrings(ctx, `SELECT r.household_id || ':' || r.amount_fen || ':' ||
				(SELECT COUNT(*) FROM recipient_history x WHERE x.household_id = r.household_id AND x.change_id = ?)
				FROM recipients r ORDER BY r.household_id`, id)
			if err != nil {
				t.Fatal(err)
			}
			if len(perHousehold) != len(ids) {
				t.Fatalf("%d recipients, want %d", len(perHousehold), len(ids))
			}
			want := money.FromYuan(880) // 800 and the 10% supplement for the elderly
			for i, row := range perHousehold {
				if exp := fmt.Sprintf("%d:%d:1", ids[i], int64(want)); row != exp {
					t.Fatalf("household/amount/history rows %s, want %s", row, exp)
				}
			}
			if st := count(t, db, "SELECT status FROM standard_changes WHERE id = ?", id); st != "applied" {
				t.Fatalf("status: %s", st)
			}
			// A third run finds nothing to do; status lists the job.
			if _, _, code := dibao("", "standard", "apply", "--id", id); code != 0 {
				t.Fatalf("third run: exit %d", code)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM recipient_history WHERE change_id = ?", id); n != fmt.Sprint(households) {
				t.Fatalf("%s history rows after a third run", n)
			}
			if out, _, code := dibao("", "standard", "status", "--county", string(testenv.County)); code != 0 ||
				!strings.Contains(out, "#"+id) || !strings.Contains(out, fmt.Sprintf("%d/%d户", households, households)) {
				t.Fatalf("status: exit %d\n%s", code, out)
			}
			if _, err := db.VerifyAudit(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}
