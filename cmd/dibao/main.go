// Command dibao is the county minimum-living-allowance system: one binary
// that serves the web UI and API and runs the operator's commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `dibao — 最低生活保障业务与培训管理系统

usage:
  dibao serve [--demo] [--addr 127.0.0.1:8080] [--data ./data] [--db URL]
              [--idle-timeout 15m] [--session-max 8h] [--tls-cert F --tls-key F]
  dibao migrate [--data DIR] [--db URL]
  dibao demo [--data DIR] [--db URL] [--households N --seed S]   the demo county, or a generated province
  dibao audit verify [--data DIR] [--db URL] [--anchors F --pubkey HEX|F]   SM3 chain and SM2 anchors
  dibao audit anchor [--data DIR] [--db URL] sign the chain head (SM2) into DATA/audit-anchors.jsonl
  dibao region add --code C --name N [--urban] [--data DIR] [--db URL]
  dibao user add --username U --name N --region CODE --role ROLE[,ROLE]
              [--posts P,P] [--hired YYYY-MM-DD] [--password P]   (else one line from stdin)
  dibao key generate [--out FILE]           write a new key file (0600)
  dibao key rotate [--key-file FILE]        put a new key first (old ones kept for reading)
  dibao key reseal [--batch N]              re-seal every value with the active key
  dibao calendar import [flags] FILE|-      store an official holiday schedule (休/班 lines)
  dibao calendar show [--from D] [--days N] working days from the stored calendar
  dibao bench transitions|api|roster|exam-day|standard-change|households|register|all
              [--households N] [--db URL] [--json FILE]   app vs raw SQL in the same run, as a ratio
  dibao ledger template FILE.xlsx           write the 台账 import template
  dibao ledger check --county C FILE.xlsx   check a ledger row by row (exit 1 if any row is wrong)
  dibao ledger import --county C [--only-valid] FILE.xlsx   check, then import the valid rows
  dibao standard preview --county C --urban YUAN --rural YUAN --effective YYYY-MM
  dibao standard apply --id N [--chunk 500]   confirm and apply a standard change (re-run resumes)
  dibao standard status [--county C] [--id N]
  dibao version

--db is a SQLite file path or a postgres:// URL (env DIBAO_DB); the
default is DIR/dibao.db. The field-encryption key file is DIR/dibao.key
(env DIBAO_KEY_FILE, or DIBAO_KEY with the key file's content).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(ctx, args[1:], stdout, log)
	case "migrate":
		err = cmdMigrate(ctx, args[1:], stdout, log)
	case "demo":
		err = cmdDemo(ctx, args[1:], stdout, log)
	case "audit":
		switch {
		case len(args) >= 2 && args[1] == "verify":
			err = cmdAuditVerify(ctx, args[2:], stdout, log)
		case len(args) >= 2 && args[1] == "anchor":
			err = cmdAuditAnchor(ctx, args[2:], stdout, log)
		default:
			fmt.Fprint(stderr, usage)
			return 2
		}
	case "user":
		if len(args) < 2 || args[1] != "add" {
			fmt.Fprint(stderr, usage)
			return 2
		}
		err = cmdUserAdd(ctx, args[2:], stdout, stderr, log)
	case "region":
		if len(args) < 2 || args[1] != "add" {
			fmt.Fprint(stderr, usage)
			return 2
		}
		err = cmdRegionAdd(ctx, args[2:], stdout, stderr, log)
	case "key":
		switch {
		case len(args) >= 2 && args[1] == "generate":
			err = cmdKeyGenerate(args[2:], stdout)
		case len(args) >= 2 && args[1] == "rotate":
			err = cmdKeyRotate(args[2:], stdout)
		case len(args) >= 2 && args[1] == "reseal":
			err = cmdKeyReseal(ctx, args[2:], stdout, log)
		default:
			fmt.Fprint(stderr, usage)
			return 2
		}
	case "calendar":
		err = cmdCalendar(ctx, args[1:], stdout, log)
	case "bench":
		err = cmdBench(ctx, args[1:], stdout, log)
	case "standard":
		err = cmdStandard(ctx, args[1:], stdout, stderr, log)
	case "ledger":
		err = cmdLedger(ctx, args[1:], stdout, stderr, log)
	case "version":
		fmt.Fprintln(stdout, "dibao", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 2
		}
		var ee exitError
		if errors.As(err, &ee) {
			fmt.Fprintln(stderr, "dibao:", ee.msg)
			return ee.code
		}
		fmt.Fprintln(stderr, "dibao:", err)
		return 1
	}
	return 0
}

// exitError carries a specific exit code (audit verify uses 3 for a
// broken chain so scripts can tell it from an unreachable database).
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }
