package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/store"
)

// exitAfterChunksEnv is a test hook: `dibao standard apply` exits with code
// 3 after that many chunks have been applied, as a crash would, so the
// crash test can check that a restart resumes. Read only here.
const exitAfterChunksEnv = "DIBAO_TEST_EXIT_AFTER_CHUNKS"

const standardUsage = `usage:
  dibao standard preview --county C --urban YUAN --rural YUAN --effective YYYY-MM   compute and store a preview
  dibao standard apply --id N [--chunk 500]   confirm (if still a preview) and apply; re-run to resume
  dibao standard status [--county C] [--id N]
(each also takes --data DIR and --db URL)`

// cmdStandard runs dibao standard preview|apply|status: a standard change from the command line.
func cmdStandard(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	if len(args) == 0 {
		return exitError{code: 2, msg: standardUsage}
	}
	fs := flag.NewFlagSet("standard "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	c.flags(fs)
	county := fs.String("county", "", "county region code (12 digits)")
	urban := fs.String("urban", "", "new urban standard, yuan per person and month")
	rural := fs.String("rural", "", "new rural standard, yuan per person and month")
	effective := fs.String("effective", "", "effective month YYYY-MM")
	id := fs.Int64("id", 0, "standard change id (from preview or status)")
	chunk := fs.Int("chunk", recipients.DefaultStandardChunk, "households applied per transaction")
	switch args[0] {
	case "preview", "apply", "status":
	default:
		return exitError{code: 2, msg: standardUsage}
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *chunk < 1 || *chunk > 100_000 {
		return exitError{code: 1, msg: "--chunk：应为 1 至 100000"}
	}
	db, err := c.open(ctx, log)
	if err != nil {
		return err
	}
	defer db.Close()
	a := app.New(db, log)
	a.Payments.StandardChunk = *chunk
	p := authz.System(cliOperator)
	switch args[0] {
	case "preview":
		if err := missingFlags(map[string]string{"--county": *county, "--urban": *urban, "--rural": *rural,
			"--effective": *effective}, "--county", "--urban", "--rural", "--effective"); err != nil {
			return err
		}
		in, err := recipients.ParseStandardInput(*county, *urban, *rural, *effective)
		if err != nil {
			return standardCLIError(err)
		}
		sum, err := a.Payments.PreviewStandardChange(ctx, p, in.County, in.Urban, in.Rural, in.EffectiveMonth)
		if err != nil {
			return standardCLIError(err)
		}
		printStandardSummary(stdout, sum)
		fmt.Fprintf(stdout, "确认并执行：dibao standard apply --id %d\n", sum.ID)
		return nil
	case "apply":
		if *id <= 0 {
			return exitError{code: 1, msg: "缺少参数：--id"}
		}
		cur, err := a.Payments.StandardChange(ctx, p, *id)
		if err != nil {
			return standardCLIError(err)
		}
		if cur.Status == store.StandardPreview {
			if _, err := a.Payments.ConfirmStandardChange(ctx, p, *id); err != nil {
				return standardCLIError(err)
			}
			fmt.Fprintf(stdout, "标准调整 #%d 已确认，开始执行\n", *id)
		}
		exitAfter, _ := strconv.Atoi(os.Getenv(exitAfterChunksEnv))
		calls := 0
		done, err := a.Payments.RunStandardChange(ctx, p, *id, func(done, total int) {
			fmt.Fprint(stderr, progressBar(done, total, 30))
			calls++ // the first call reports where the run starts; each later one a chunk
			if exitAfter > 0 && calls > exitAfter {
				fmt.Fprintln(stderr)
				os.Exit(3)
			}
		})
		fmt.Fprintln(stderr)
		if err != nil {
			return standardCLIError(err)
		}
		sum, err := a.Payments.StandardChange(ctx, p, done.ID)
		if err != nil {
			return standardCLIError(err)
		}
		printStandardSummary(stdout, sum)
		return nil
	default: // status
		if *id > 0 {
			sum, err := a.Payments.StandardChange(ctx, p, *id)
			if err != nil {
				return standardCLIError(err)
			}
			printStandardSummary(stdout, sum)
			return nil
		}
		var list []store.StandardChange
		if *county == "" {
			list, err = db.StandardChanges(ctx, region.All(), "")
		} else {
			c, perr := region.Parse(*county)
			if perr != nil {
				return exitError{code: 1, msg: "--county：" + perr.Error()}
			}
			list, err = a.Payments.StandardChanges(ctx, p, c)
		}
		if err != nil {
			return standardCLIError(err)
		}
		if len(list) == 0 {
			fmt.Fprintln(stdout, "没有标准调整记录")
		}
		for _, x := range list {
			fmt.Fprintf(stdout, "#%d  %s  城市%s元 农村%s元  自%s起  %s  %d/%d户  月资金变化%s元\n", x.ID, x.County,
				x.Urban.Yuan(), x.Rural.Yuan(), x.EffectiveMonth, recipients.StatusLabel(x.Status), x.Applied, x.Recipients,
				x.Delta.Yuan())
		}
		return nil
	}
}

// progressBar draws `\r[#####     ] 1234/5000`.
func progressBar(done, total, width int) string {
	n := width
	if total > 0 {
		n = done * width / total
	}
	return "\r[" + strings.Repeat("#", n) + strings.Repeat(" ", width-n) + "] " + strconv.Itoa(done) + "/" + strconv.Itoa(total)
}

// standardCLIError maps the service's field names to the flags.
func standardCLIError(err error) error {
	for k, v := range map[string]string{"county": "--county", "urban": "--urban", "rural": "--rural", "effective": "--effective"} {
		flagOf[k] = v
	}
	return cliError(err)
}

func printStandardSummary(w io.Writer, s recipients.StandardSummary) {
	fmt.Fprintf(w, "标准调整 #%d  %s  状态：%s\n", s.ID, s.County, recipients.StatusLabel(s.Status))
	fmt.Fprintf(w, "新标准：城市 %s 元/人·月，农村 %s 元/人·月，自 %s 起\n", s.Urban.Yuan(), s.Rural.Yuan(), s.EffectiveMonth)
	fmt.Fprintf(w, "重新核算 %d 户：增加 %d 户，减少 %d 户，不变 %d 户，不再符合条件 %d 户（列入复核，不停保）\n",
		s.Recipients, len(s.Increases), len(s.Decreases), s.Unchanged, len(s.Crossing))
	fmt.Fprintf(w, "月资金：调整前 %s 元，变化 %s 元\n", s.OldTotal.Yuan(), s.Delta.Yuan())
	for _, t := range s.Townships {
		fmt.Fprintf(w, "  %s %-8s %5d户  增%d 减%d 不再符合%d  变化 %s 元\n", t.Code, t.Name, t.Recipients, t.Increased,
			t.Decreased, t.Crossing, t.Delta.Yuan())
	}
	if s.Status != store.StandardPreview {
		fmt.Fprintf(w, "进度：%d/%d\n", s.Applied, s.Recipients)
	}
}
