package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"dibao/internal/access"
	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/people"
	"dibao/internal/region"
	"dibao/internal/store"
)

// stdin is where `dibao user add` reads the password when --password is
// not given; tests replace it.
var stdin io.Reader = os.Stdin

// cliOperator names the operator in the audit log (actor "system:cli").
const cliOperator = "cli"

// flagOf names the command-line flag behind each service field, so that
// an error points at what to retype.
var flagOf = map[string]string{
	"username": "--username", "display_name": "--name", "region_code": "--region", "roles": "--role",
	"posts": "--posts", "hire_date": "--hired", "password": "--password", "code": "--code", "name": "--name",
}

// cliError turns a domain error into exit code 1 with its Chinese messages,
// each prefixed by the flag it concerns.
func cliError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	var list errs.List
	if !errors.As(err, &list) {
		list = errs.List{errs.As(err)}
	}
	msgs := make([]string, 0, len(list))
	for _, e := range list {
		m := e.Message
		if e.Code == errs.Internal && e.Err != nil {
			m += "（" + e.Err.Error() + "）" // the operator needs the cause
		}
		if f := flagOf[e.Field]; f != "" {
			m = f + "：" + m
		}
		msgs = append(msgs, m)
	}
	return exitError{code: 1, msg: strings.Join(msgs, "；")}
}

func missingFlags(vals map[string]string, order ...string) error {
	var missing []string
	for _, k := range order {
		if strings.TrimSpace(vals[k]) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return exitError{code: 1, msg: "缺少参数：" + strings.Join(missing, "、")}
	}
	return nil
}

// cmdUserAdd creates a staff account from the console; it is how the first
// security administrator of a production install is made.
func cmdUserAdd(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	c.flags(fs)
	username := fs.String("username", "", "login name: 3–32 of a-z 0-9 _ . -")
	name := fs.String("name", "", "display name (姓名)")
	code := fs.String("region", "", "12-digit region code the account belongs to")
	roles := fs.String("role", "", "role code(s), comma-separated, e.g. security_admin")
	posts := fs.String("posts", "", "posts (岗位), comma-separated; default: the usual posts of the roles")
	hired := fs.String("hired", "", "hire date YYYY-MM-DD (default today)")
	password := fs.String("password", "", "initial password (default: read one line from standard input)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := missingFlags(map[string]string{"--username": *username, "--name": *name, "--region": *code,
		"--role": *roles}, "--username", "--name", "--region", "--role"); err != nil {
		return err
	}
	pw := *password
	if pw == "" {
		var err error
		if pw, err = readPassword(stderr); err != nil {
			return err
		}
	}
	db, err := c.open(ctx, log)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := &people.Service{DB: db}
	if *hired == "" {
		*hired = db.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	}
	if *posts == "" {
		*posts = people.DefaultPosts(people.ToRoles([]string{*roles}))
	}
	u, err := svc.Bootstrap(ctx, cliOperator, people.Draft{Username: *username, DisplayName: *name, Region: *code,
		Roles: []string{*roles}, Posts: *posts, HireDate: *hired, Password: pw})
	if err != nil {
		return cliError(err)
	}
	labels := make([]string, len(u.Roles))
	for i, r := range u.Roles {
		labels[i] = r.Label()
	}
	where := string(u.Region)
	if reg, err := db.Region(ctx, u.Region); err == nil {
		where = reg.Name + "（" + where + "）"
	}
	fmt.Fprintf(stdout, "已创建账号 %s（编号 %d）：%s · %s\n", u.Username, u.ID, strings.Join(labels, "、"), where)
	if access.RequiresTOTP(u.Roles) {
		fmt.Fprintln(stdout, "该账号为管理员角色，须使用双因素认证：首次在网页登录时，输入密码后将引导绑定手机验证器（TOTP），绑定前不能进入系统。")
	}
	return nil
}

// readPassword reads one line from stdin. On a terminal it prompts first;
// the line is echoed there, so scripts should pipe it in instead.
func readPassword(stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprint(stderr, "请输入初始密码（输入内容会显示在屏幕上，建议改用管道传入）：")
		}
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 1024)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", exitError{code: 1, msg: "读取密码失败：" + err.Error()}
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", exitError{code: 1, msg: "--password：未提供密码（可用 --password 指定，或从标准输入传入一行）"}
	}
	return line, nil
}

// cmdRegionAdd adds one region, so that a production install without the
// demo county can create its county, townships and villages before the
// first accounts.
func cmdRegionAdd(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("region add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	c.flags(fs)
	codeFlag := fs.String("code", "", "12-digit region code, e.g. 130123000000 (county), 130123100000 (township)")
	nameFlag := fs.String("name", "", "region name, e.g. 平安县")
	urban := fs.Bool("urban", false, "a street office or urban community rather than a township or village")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := missingFlags(map[string]string{"--code": *codeFlag, "--name": *nameFlag}, "--code", "--name"); err != nil {
		return err
	}
	code, err := region.Parse(*codeFlag)
	if err != nil {
		return cliError(errs.Invalidf("code", "%s", errs.As(err).Message))
	}
	name := strings.TrimSpace(*nameFlag)
	if utf8.RuneCountInString(name) > 50 || strings.ContainsAny(name, "\r\n\t") {
		return cliError(errs.Invalidf("name", "名称不能超过50个字，且不能含换行或制表符"))
	}
	db, err := c.open(ctx, log)
	if err != nil {
		return err
	}
	defer db.Close()
	r := store.Region{Code: code, Name: name, Level: code.Level(), Parent: code.Parent(), Urban: *urban}
	p := authz.System(cliOperator)
	p.Region = code.County()
	err = db.InTx(ctx, p, func(tx *store.Tx) error {
		if ok, err := tx.RegionExists(ctx, code); err != nil {
			return err
		} else if ok {
			return errs.New(errs.Conflict, "code", "行政区划 "+string(code)+" 已存在")
		}
		if r.Parent != "" {
			if ok, err := tx.RegionExists(ctx, r.Parent); err != nil {
				return err
			} else if !ok {
				return errs.New(errs.Invalid, "code", "上级区划 "+string(r.Parent)+" 不存在，请先添加")
			}
		}
		if err := tx.PutRegion(ctx, r); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "region.create", Object: "region:" + string(code),
			Detail: r.Level.Label() + " " + name})
	})
	if err != nil {
		return cliError(err)
	}
	fmt.Fprintf(stdout, "已添加行政区划 %s %s（%s）\n", code, name, r.Level.Label())
	return nil
}
