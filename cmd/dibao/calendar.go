package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"dibao/internal/authz"
	"dibao/internal/holidays"
)

// cmdCalendar: `calendar import FILE|-` stores an official schedule;
// `calendar show [--from DATE] [--days N]` prints working days from the
// stored calendar, so an operator can check a new year before it matters.
func cmdCalendar(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	if len(args) == 0 || (args[0] != "import" && args[0] != "show") {
		return fmt.Errorf("usage: dibao calendar import [--data DIR] FILE|- | dibao calendar show [--from YYYY-MM-DD] [--days N]")
	}
	fs := flag.NewFlagSet("calendar "+args[0], flag.ContinueOnError)
	var c config
	c.flags(fs)
	from := fs.String("from", "", "first day to show (default today)")
	days := fs.Int("days", 14, "days to show")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	db, err := c.open(ctx, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if args[0] == "import" {
		if fs.NArg() != 1 {
			return fmt.Errorf("usage: dibao calendar import [--data DIR] FILE (or - for standard input)")
		}
		var text []byte
		if fs.Arg(0) == "-" {
			text, err = io.ReadAll(os.Stdin)
		} else {
			text, err = os.ReadFile(fs.Arg(0))
		}
		if err != nil {
			return err
		}
		// The operator at the console acts as system administrator.
		p := authz.Principal{Username: "system:cli", Roles: []authz.Role{authz.SystemAdmin}}
		n, err := holidays.Import(ctx, db, p, string(text))
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "stored %d calendar days\n", n)
		return nil
	}
	cal, err := holidays.Calendar(ctx, db)
	if err != nil {
		return err
	}
	start := time.Now()
	if *from != "" {
		if start, err = time.Parse(time.DateOnly, *from); err != nil {
			return fmt.Errorf("--from: %w", err)
		}
	}
	weekdays := []string{"日", "一", "二", "三", "四", "五", "六"}
	for i := 0; i < *days; i++ {
		d := start.AddDate(0, 0, i)
		working, name, source := cal.DayInfo(d)
		mark := "休"
		if working {
			mark = "班"
		}
		fmt.Fprintf(stdout, "%s 周%s %s %s (%s)\n", d.Format(time.DateOnly), weekdays[d.Weekday()], mark, name, source)
	}
	return nil
}
