package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/ledger"
	"dibao/internal/ledgerimport"
	"dibao/internal/region"
	"dibao/internal/sheet"
)

const ledgerUsage = `usage:
  dibao ledger template FILE.xlsx
  dibao ledger check --county C [--data DIR] [--db URL] FILE.xlsx
  dibao ledger import --county C [--only-valid] [--data DIR] [--db URL] FILE.xlsx
`

// cmdLedger runs dibao ledger template|check|import: the ledger (台账) import from the command line.
func cmdLedger(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, ledgerUsage)
		return exitError{code: 2, msg: "缺少子命令：template、check 或 import"}
	}
	switch args[0] {
	case "template":
		if len(args) != 2 {
			fmt.Fprint(stderr, ledgerUsage)
			return exitError{code: 2, msg: "请指定模板的输出文件，如 dibao ledger template 台账模板.xlsx"}
		}
		var buf bytes.Buffer
		if err := ledgerimport.Template(&buf); err != nil {
			return err
		}
		if err := os.WriteFile(args[1], buf.Bytes(), 0o644); err != nil {
			return exitError{code: 1, msg: "写入模板失败：" + err.Error()}
		}
		fmt.Fprintf(stdout, "已写出台账导入模板 %s（%d 列，含“填写说明”工作表）\n", args[1], len(ledger.Columns()))
		return nil
	case "check", "import":
		return cmdLedgerRun(ctx, args[0], args[1:], stdout, stderr, log)
	}
	fmt.Fprint(stderr, ledgerUsage)
	return exitError{code: 2, msg: "未知子命令 " + args[0]}
}

func cmdLedgerRun(ctx context.Context, sub string, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("ledger "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	c.flags(fs)
	countyFlag := fs.String("county", "", "12-digit code of the county whose ledger this is")
	onlyValid := false
	if sub == "import" {
		fs.BoolVar(&onlyValid, "only-valid", false, "import the valid rows even if other rows have errors")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := missingFlags(map[string]string{"--county": *countyFlag}, "--county"); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, ledgerUsage)
		return exitError{code: 2, msg: "请指定一个台账文件（.xlsx）"}
	}
	county, err := region.Parse(*countyFlag)
	if err != nil || county.Level() != region.County {
		return exitError{code: 1, msg: "--county：请填写县（市、区）的12位代码，如 130199000000"}
	}
	path := fs.Arg(0)
	data, err := os.ReadFile(path)
	if err != nil {
		return exitError{code: 1, msg: "读取文件失败：" + err.Error()}
	}
	if len(data) > sheet.MaxUpload {
		return exitError{code: 1, msg: fmt.Sprintf("文件超过 %d MB", sheet.MaxUpload>>20)}
	}
	db, err := c.open(ctx, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Region(ctx, county); err != nil {
		return exitError{code: 1, msg: "--county：行政区划 " + string(county) + " 不存在"}
	}
	svc := &ledgerimport.Service{DB: db, Now: db.Now}
	p := authz.System(cliOperator)
	p.Region = county

	rep, err := svc.Inspect(ctx, p, data)
	if err != nil {
		return ledgerCLIError(err)
	}
	printLedgerReport(stdout, rep)
	if sub == "check" || (len(rep.Errors) > 0 && !onlyValid) {
		if len(rep.Errors) > 0 {
			msg := fmt.Sprintf("有 %d 行存在错误", rep.BadRows())
			if sub == "import" {
				msg += "，未导入任何数据；修改后重新导入，或加 --only-valid 只导入有效的行"
			}
			return exitError{code: 1, msg: msg}
		}
		return nil
	}
	if rep.Valid == 0 {
		return exitError{code: 1, msg: "没有可导入的有效行"}
	}
	b, err := svc.Check(ctx, p, filepath.Base(path), data)
	if err != nil {
		return ledgerCLIError(err)
	}
	b, err = svc.Confirm(ctx, p, b.ID)
	if err != nil {
		return ledgerCLIError(err)
	}
	fmt.Fprintf(stdout, "已导入 %d 户（批次 %d）", b.Imported, b.ID)
	if b.Skipped > 0 {
		fmt.Fprintf(stdout, "，%d 行在检查后已被登记，未重复导入", b.Skipped)
	}
	fmt.Fprintln(stdout)
	return nil
}

func ledgerCLIError(err error) error {
	e := errs.As(err)
	if e.Code == errs.Internal {
		return cliError(err)
	}
	return exitError{code: 1, msg: e.Message}
}

func printLedgerReport(w io.Writer, rep ledger.Report) {
	fmt.Fprintf(w, "共 %d 行：有效 %d 行，有错误 %d 行\n", rep.Rows, rep.Valid, rep.BadRows())
	for _, p := range rep.Errors {
		fmt.Fprintf(w, "  第%d行 %s：%s\n", p.Row, p.Column, strings.TrimSpace(p.Message))
	}
}
