package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dibao/internal/ledger/ledgertest"
	"dibao/internal/sheet"
	"dibao/internal/store"
)

func TestLedgerCommand(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	exec := func(args ...string) (int, string, string) {
		t.Helper()
		var out, errb bytes.Buffer
		if len(args) > 1 && args[0] == "ledger" && args[1] != "template" {
			args = append(args[:2:2], append([]string{"--data", dir}, args[2:]...)...)
		}
		code := run(ctx, args, &out, &errb)
		return code, out.String(), errb.String()
	}
	for _, r := range [][]string{{"130199000000", "平安县"}, {"130199101000", "东湖镇"}, {"130199101201", "李家庄村"},
		{"130199102000", "南河镇"}, {"130199102201", "王家村"}} {
		if code, _, e := exec("region", "add", "--code", r[0], "--name", r[1], "--data", dir); code != 0 {
			t.Fatalf("region %s: %s", r[0], e)
		}
	}
	tmpl := filepath.Join(dir, "模板.xlsx")
	if code, out, e := exec("ledger", "template", tmpl); code != 0 || !strings.Contains(out, "已写出台账导入模板") {
		t.Fatalf("template: %d %s %s", code, out, e)
	}
	f, _ := os.Open(tmpl)
	rows, err := sheet.Read(f)
	f.Close()
	if err != nil || len(rows) != 2 {
		t.Fatalf("template content %v %v", err, rows)
	}

	file := filepath.Join(dir, "台账.xlsx")
	if err := os.WriteFile(file, ledgertest.Workbook(t, ledgertest.Rows(20, "130199101201", "130199102201")), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, e := exec("ledger", "check", "--county", "130199000000", file)
	if code != 1 || !strings.Contains(out, "共 20 行：有效 15 行，有错误 5 行") || !strings.Contains(out, "第3行 户主公民身份号码：") ||
		!strings.Contains(out, "第13行 保障起始年月：") || !strings.Contains(e, "有 5 行存在错误") {
		t.Fatalf("check: %d\n%s\n%s", code, out, e)
	}
	code, _, e = exec("ledger", "import", "--county", "130199000000", file)
	if code != 1 || !strings.Contains(e, "未导入任何数据") {
		t.Fatalf("import with errors: %d %s", code, e)
	}
	count := func() string {
		db, err := store.Open(ctx, filepath.Join(dir, "dibao.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		v, err := db.QueryStrings(ctx, "SELECT COUNT(*) FROM recipients")
		if err != nil {
			t.Fatal(err)
		}
		return v[0]
	}
	if n := count(); n != "0" {
		t.Fatalf("recipients after a refused import: %s", n)
	}
	code, out, e = exec("ledger", "import", "--county", "130199000000", "--only-valid", file)
	if code != 0 || !strings.Contains(out, "已导入 15 户（批次 1）") {
		t.Fatalf("import --only-valid: %d %s %s", code, out, e)
	}
	if n := count(); n != "15" {
		t.Fatalf("recipients %s", n)
	}
	// Again: every row is now registered.
	code, out, _ = exec("ledger", "import", "--county", "130199000000", "--only-valid", file)
	if code != 1 || !strings.Contains(out, "有效 0 行") || count() != "15" {
		t.Fatalf("second import: %d %s", code, out)
	}
	if code, _, e := exec("ledger", "check", "--county", "130199101000", file); code != 1 || !strings.Contains(e, "--county") {
		t.Fatalf("township as county: %d %s", code, e)
	}
	if code, _, _ := exec("ledger", "frobnicate"); code != 2 {
		t.Fatalf("unknown subcommand: %d", code)
	}
}
