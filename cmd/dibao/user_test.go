package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"dibao/internal/access"
	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/store"
)

func TestRegionAndUserAddBootstrapAnInstall(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	type call struct {
		name   string
		args   []string
		stdin  string
		code   int
		stdout string // substring expected on stdout (code 0) or stderr
	}
	steps := []call{
		{"township before its county", []string{"region", "add", "--code", "130199101000", "--name", "东湖镇"}, "", 1, "上级区划 130199000000 不存在"},
		{"county", []string{"region", "add", "--code", "130199000000", "--name", "平安县"}, "", 0, "已添加行政区划 130199000000 平安县（县/区）"},
		{"county again", []string{"region", "add", "--code", "130199000000", "--name", "平安县"}, "", 1, "已存在"},
		{"malformed code", []string{"region", "add", "--code", "1301990", "--name", "x"}, "", 1, "--code：行政区划代码应为12位数字"},
		{"missing name", []string{"region", "add", "--code", "130199101000"}, "", 1, "缺少参数：--name"},
		{"township", []string{"region", "add", "--code", "130199101000", "--name", "东湖镇"}, "", 0, "乡镇/街道"},
		{"region usage", []string{"region", "list"}, "", 2, "usage:"},

		{"user in an unknown region", []string{"user", "add", "--username", "secadmin", "--name", "许文博", "--region", "130199102000",
			"--role", "security_admin", "--password", "Console-pass-2026"}, "", 1, "--region：行政区划 130199102000 不存在"},
		{"separation of duties", []string{"user", "add", "--username", "secadmin", "--name", "许文博", "--region", "130199000000",
			"--role", "security_admin,auditor", "--password", "Console-pass-2026"}, "", 1, "--role：三员分立"},
		{"weak password", []string{"user", "add", "--username", "secadmin", "--name", "许文博", "--region", "130199000000",
			"--role", "security_admin", "--password", "weak"}, "", 1, "--password：密码至少12位"},
		{"missing flags", []string{"user", "add", "--username", "secadmin"}, "", 1, "缺少参数：--name、--region、--role"},
		{"no password anywhere", []string{"user", "add", "--username", "secadmin", "--name", "许文博", "--region", "130199000000",
			"--role", "security_admin"}, "", 1, "未提供密码"},
		{"security admin, password on stdin", []string{"user", "add", "--username", "secadmin", "--name", "许文博",
			"--region", "130199000000", "--role", "security_admin"}, "Console-pass-2026\n", 0, "首次在网页登录时，输入密码后将引导绑定手机验证器"},
		{"same username", []string{"user", "add", "--username", "secadmin", "--name", "许文博", "--region", "130199000000",
			"--role", "auditor", "--password", "Console-pass-2026"}, "", 1, "--username：用户名已存在"},
		{"township officer with flags", []string{"user", "add", "--username", "wang", "--name", "王志刚", "--region", "130199101000",
			"--role", "township_officer", "--posts", "调查", "--hired", "2020-05-01", "--password", "Console-pass-2027"}, "", 0, "乡镇（街道）经办人 · 东湖镇"},
		{"user usage", []string{"user", "remove"}, "", 2, "usage:"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			stdin = strings.NewReader(s.stdin)
			t.Cleanup(func() { stdin = strings.NewReader("") })
			var out, errb bytes.Buffer
			code := run(ctx, append(s.args, "--data", dir), &out, &errb)
			got := errb.String()
			if s.code == 0 {
				got = out.String()
			}
			if code != s.code || !strings.Contains(got, s.stdout) {
				t.Fatalf("exit %d, want %d; stdout %q; stderr %q", code, s.code, out.String(), errb.String())
			}
			if s.code == 1 && strings.Contains(errb.String(), "invalid ") {
				t.Errorf("error shows the internal code rather than the Chinese message: %q", errb.String())
			}
		})
	}

	db, err := store.Open(ctx, filepath.Join(dir, "dibao.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a := &access.Service{DB: db, Policy: access.DefaultPolicy()}
	// An administrator's first login asks for the second factor's enrolment
	// before anything else; the API refuses it until then.
	if _, _, err := a.Login(ctx, "secadmin", "Console-pass-2026", "api", ""); errs.As(err).Field != "totp" {
		t.Fatalf("API login of an admin without a second factor: %v, want an error on totp", err)
	}
	res, err := a.LoginStep(ctx, "secadmin", "Console-pass-2026", "")
	if err != nil || res.Stage != access.StageEnrol {
		t.Fatalf("bootstrapped admin's first login: %+v %v, want the enrolment step", res, err)
	}
	u := res.User
	if !u.Principal().Can(authz.UserManage) || u.Posts != "安全管理" || u.HireDate == "" || u.Region != "130199000000" {
		t.Fatalf("bootstrapped admin %+v", u)
	}
	w, err := db.UserByID(ctx, u.ID+1)
	if err != nil || w.Username != "wang" || w.Posts != "调查" || w.HireDate != "2020-05-01" {
		t.Fatalf("second account %+v %v", w, err)
	}
	recs, err := db.AuditRecords(ctx, store.AuditFilter{Actor: "system:cli", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for i := len(recs) - 1; i >= 0; i-- {
		actions = append(actions, recs[i].Action+" "+recs[i].Object)
		if strings.Contains(recs[i].Detail, "Console-pass") {
			t.Errorf("password in the audit log: %+v", recs[i])
		}
	}
	want := "region.create region:130199000000|region.create region:130199101000|user.create user:1|user.create user:2"
	if got := strings.Join(actions, "|"); got != want {
		t.Fatalf("audited %q\nwant     %q", got, want)
	}
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"audit", "verify", "--data", dir}, &out, &errb); code != 0 {
		t.Fatalf("audit verify: %d %s", code, errb.String())
	}
}
