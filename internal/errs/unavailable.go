package errs

import (
	"context"
	"database/sql/driver"
	"errors"
	"strings"
	"syscall"
)

// Two failures are not the request's fault and not a bug either: the
// database cannot be reached (PostgreSQL restarting, the network between)
// and the disk is full. Whatever layer wrapped them — a store method's
// "保存失败", a service's Wrap, a bare driver error — As turns them into
// these codes with one clear message each, so the API answers 503/507 with
// {"error":…}, the pages show the message and the CLI prints it. This is
// the one place they are recognised.
const (
	Unavailable Code = "unavailable"  // HTTP 503
	StorageFull Code = "storage_full" // HTTP 507
)

// The messages of the two codes.
const (
	MsgUnavailable = "数据库暂不可用，请稍后重试"
	MsgStorageFull = "磁盘空间不足，操作未保存，请联系系统管理员清理磁盘空间后重试"
)

// classify recognises a full disk or an unreachable database anywhere in
// err's chain; nil when err is neither.
func classify(err error) *Error {
	if err == nil {
		return nil
	}
	if diskFull(err) {
		return &Error{Code: StorageFull, Message: MsgStorageFull, Err: err}
	}
	if connLost(err) {
		return &Error{Code: Unavailable, Message: MsgUnavailable, Err: err}
	}
	return nil
}

func diskFull(err error) bool {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return true
	}
	s := err.Error()
	// SQLite: SQLITE_FULL (13) "database or disk is full"; a failed write of
	// the WAL or a temp file can surface as the OS message; PostgreSQL:
	// SQLSTATE 53100 disk_full.
	return strings.Contains(s, "database or disk is full") || strings.Contains(s, "SQLITE_FULL") ||
		strings.Contains(s, "no space left on device") || strings.Contains(s, "SQLSTATE 53100")
}

func connLost(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false // the client went away or the request ran out of time: not the database
	}
	if errors.Is(err, driver.ErrBadConn) {
		return true
	}
	// Only the database drivers' words: a network error of an HTTP client
	// (the cross-check platform) or a truncated upload is not the database.
	s := err.Error()
	for _, m := range []string{
		"failed to connect to `", // pgconn.ConnectError: nothing listens, or it refuses us
		"conn closed",            // pgconn: the connection was closed under us
		"receive message failed", // pgconn: the server went away mid-reply
		"SQLSTATE 57P01",         // admin_shutdown: terminating connection due to administrator command
		"SQLSTATE 57P02",         // crash_shutdown
		"SQLSTATE 57P03",         // cannot_connect_now: the database system is starting up / shutting down
		"SQLSTATE 08",            // connection_exception class
		"the database system is", // … starting up / shutting down / in recovery mode
	} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}
