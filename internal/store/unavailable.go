package store

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	"dibao/internal/errs"
)

// A statement that fails because the connection to PostgreSQL broke (the
// server restarted, the network dropped) surfaces from the driver as a bare
// network error — "read tcp …: connection reset by peer", "unexpected
// EOF" — that errs cannot tell from an HTTP client's. Here it is certain to
// be the database's, so mapErr and the transaction boundaries turn it into
// errs.Unavailable: the API answers 503 "数据库暂不可用，请稍后重试" instead of
// a 500 naming whatever was being read. (A full disk, SQLite's
// SQLITE_FULL or ENOSPC, is recognised by errs.As itself.)

// lostConn reports whether err says the database connection is gone.
func lostConn(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// unavailable wraps a lost connection as errs.Unavailable.
func unavailable(err error) error {
	return &errs.Error{Code: errs.Unavailable, Message: errs.MsgUnavailable, Err: err}
}

// afterFailure decides what a failed transaction reports: fn's error, or
// Unavailable when the connection broke under it. rollbackErr is the
// result of rolling back: it fails only on a connection that is gone, so a
// network-looking error of fn's own (an upload, a cross-check call) is
// never mistaken for the database.
func afterFailure(err, rollbackErr error) error {
	var de *errs.Error
	if errors.As(err, &de) && de.Code != errs.Internal {
		return err // a domain answer (conflict, invalid, …) stands
	}
	if rollbackErr != nil && lostConn(err) {
		return unavailable(err)
	}
	return err
}
