package errs

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"testing"
)

// TestUnavailableAndStorageFull: a lost database and a full disk are
// recognised under any wrapping — a store's "保存失败", fmt.Errorf, a bare
// driver error — and nothing else is.
func TestUnavailableAndStorageFull(t *testing.T) {
	cases := []struct {
		err    error
		code   Code
		status int
	}{
		{Wrap(errors.New("database or disk is full (13)"), "保存失败，请重试"), StorageFull, 507},
		{fmt.Errorf("load: %w", &os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}), StorageFull, 507},
		{&Error{Code: Internal, Message: "保存失败", Err: errors.New("ERROR: could not extend file (SQLSTATE 53100)")}, StorageFull, 507},
		{Wrap(errors.New("failed to connect to `user=dibao database=dibao`: dial tcp 127.0.0.1:5: connect: connection refused"), "读取失败"), Unavailable, 503},
		{fmt.Errorf("x: %w", driver.ErrBadConn), Unavailable, 503},
		{errors.New("FATAL: terminating connection due to administrator command (SQLSTATE 57P01)"), Unavailable, 503},
		{Wrap(errors.New("conn closed"), "保存失败"), Unavailable, 503},
		// Not the database: a domain error keeps its code; a truncated upload stays internal.
		{New(Conflict, "", "database or disk is full"), Conflict, 409},
		{Wrap(io.ErrUnexpectedEOF, "读取文件失败"), Internal, 500},
		{errors.New("boom"), Internal, 500},
	}
	for _, c := range cases {
		e := As(c.err)
		if e.Code != c.code || HTTPStatus(c.err) != c.status {
			t.Errorf("As(%v) = %s/%d, want %s/%d", c.err, e.Code, HTTPStatus(c.err), c.code, c.status)
		}
		switch c.code {
		case StorageFull:
			if e.Message != MsgStorageFull || !errors.Is(e, e.Err) {
				t.Errorf("%v: message %q", c.err, e.Message)
			}
		case Unavailable:
			if e.Message != MsgUnavailable {
				t.Errorf("%v: message %q", c.err, e.Message)
			}
		}
	}
}
