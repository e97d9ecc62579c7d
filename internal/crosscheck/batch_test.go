package crosscheck

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"dibao/internal/errs"
)

func newBatch(t *testing.T) BatchAdapter {
	t.Helper()
	dir := t.TempDir()
	b := BatchAdapter{Outbox: filepath.Join(dir, "outbox"), Inbox: filepath.Join(dir, "inbox")}
	for _, d := range []string{b.Outbox, b.Inbox} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func TestBatchSubmit(t *testing.T) {
	ctx := context.Background()
	b := newBatch(t)
	req := sampleRequest()

	ticket, err := b.Submit(ctx, req)
	if err != nil || ticket != req.ID {
		t.Fatalf("Submit = %q, %v", ticket, err)
	}
	path := filepath.Join(b.Outbox, req.ID+".csv")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := WriteRequestCSV(&want, []Request{req}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("request file differs from WriteRequestCSV")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v; the file holds ID numbers and must be 0600", fi.Mode().Perm())
	}

	cases := []struct {
		name string
		req  func() Request
		ctx  func() context.Context
		code errs.Code
		msg  string
	}{
		{"same request again is a no-op", sampleRequest, context.Background, "", ""},
		{"different request under the same number", func() Request {
			r := sampleRequest()
			r.Persons = r.Persons[:1]
			return r
		}, context.Background, errs.Conflict, "导出目录中已有请求编号为“HD-130199-2026-000123-01”的其他核对请求文件；重新核对请使用新的请求编号"},
		{"invalid request", func() Request {
			r := sampleRequest()
			r.ID = "../../etc/cron.d/x"
			return r
		}, context.Background, errs.Invalid, "第1个核对请求（../../etc/cron.d/x）：" + msgRequestID},
		{"cancelled", sampleRequest, func() context.Context {
			c, cancel := context.WithCancel(context.Background())
			cancel()
			return c
		}, errs.Internal, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := b.Submit(c.ctx(), c.req())
			if c.code == "" {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				return
			}
			if err == nil || errs.CodeOf(err) != c.code || (c.msg != "" && errs.As(err).Message != c.msg) {
				t.Fatalf("error %v; want %s %q", err, c.code, c.msg)
			}
		})
	}
	entries, _ := os.ReadDir(b.Outbox)
	if len(entries) != 1 || entries[0].Name() != req.ID+".csv" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("outbox holds %v; want only the request file, no temporary files", names)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(b.Outbox), "etc")); err == nil {
		t.Fatal("a request number escaped the outbox")
	}
}

func TestBatchSubmitMissingDir(t *testing.T) {
	b := BatchAdapter{Outbox: filepath.Join(t.TempDir(), "nope")}
	_, err := b.Submit(context.Background(), sampleRequest())
	if err == nil || errs.As(err).Message != "无法打开核对请求导出目录，请检查配置" {
		t.Fatalf("error %v", err)
	}
}

func TestBatchFetch(t *testing.T) {
	ctx := context.Background()
	b := newBatch(t)
	req := sampleRequest()
	req.Scope = []Source{SocialInsurance, Vehicle, Deposit}
	ticket, err := b.Submit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}

	rep, ready, err := b.Fetch(ctx, ticket)
	if err != nil || ready {
		t.Fatalf("before the result arrives: ready %v, %v", ready, err)
	}

	// The result file arrives; it also answers another request.
	other := resultFile(header8, "HD-OTHER,"+string(idStranger)+",机动车,无记录,,,,")
	content := handWritten() + strings.TrimPrefix(other, "\uFEFF"+header8+"\r\n")
	path := filepath.Join(b.Inbox, ticket+".csv")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	arrived := time.Date(2026, 7, 25, 9, 30, 0, 0, time.Local)
	if err := os.Chtimes(path, arrived, arrived); err != nil {
		t.Fatal(err)
	}
	rep, ready, err = b.Fetch(ctx, ticket)
	if err != nil || !ready {
		t.Fatalf("ready %v, %v", ready, messages(err))
	}
	if !rep.ReceivedAt.Equal(arrived) || rep.RequestID != req.ID || len(rep.Findings) != 5 || rep.Status != StatusPartial {
		t.Fatalf("report %+v", rep)
	}
	if err := Match(req, rep); err != nil {
		t.Fatalf("Match: %q", messages(err))
	}
	again, _, _ := b.Fetch(ctx, ticket)
	if !reflect.DeepEqual(again, rep) {
		t.Fatal("fetching again gives a different report")
	}

	cases := []struct {
		name   string
		ticket string
		file   string // content of Inbox/<ticket>.csv, "" for none
		dir    bool   // make the name a directory
		want   []string
	}{
		{"path traversal", "../outbox/x", "", false, []string{"核对凭证号“../outbox/x”无效"}},
		{"empty ticket", "", "", false, []string{"核对凭证号“”无效"}},
		{"result does not answer this request", "HD-2", resultFile(header8, "HD-3,"+string(idSon)+",机动车,无记录,,,,"), false,
			[]string{"结果文件“HD-2.csv”中没有请求“HD-2”的结果"}},
		{"malformed result", "HD-4", resultFile(header8, "HD-4,"+string(idSon)+",机动车,财产,车,1.234,,"), false,
			[]string{"第2行“金额”列：金额最多保留两位小数"}},
		{"a directory, not a file", "HD-5", "", true, []string{"核对结果“HD-5.csv”不是普通文件"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.file != "" {
				if err := os.WriteFile(filepath.Join(b.Inbox, c.ticket+".csv"), []byte(c.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if c.dir {
				if err := os.Mkdir(filepath.Join(b.Inbox, c.ticket+".csv"), 0o700); err != nil {
					t.Fatal(err)
				}
			}
			_, ready, err := b.Fetch(ctx, c.ticket)
			if ready {
				t.Fatal("ready")
			}
			if got := messages(err); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("messages %q; want %q", got, c.want)
			}
		})
	}
}

func TestBatchFetchSymlinkOutsideInbox(t *testing.T) {
	b := newBatch(t)
	secret := filepath.Join(filepath.Dir(b.Inbox), "secret.csv")
	if err := os.WriteFile(secret, []byte(handWritten()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(b.Inbox, "HD-130199-2026-000123-01.csv")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	_, ready, err := b.Fetch(context.Background(), "HD-130199-2026-000123-01")
	if ready || err == nil {
		t.Fatalf("a symlink out of the inbox was followed: ready %v, err %v", ready, err)
	}
}
