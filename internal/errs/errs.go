// Package errs defines the domain error type shared by every layer: a code
// that maps to an HTTP status in one place, the offending field, and a
// message in Chinese that is safe to show to the user.
package errs

import (
	"errors"
	"fmt"
)

// Code classifies a domain error.
type Code string

// The error codes; web and api map them to HTTP statuses.
const (
	Invalid      Code = "invalid"
	NotFound     Code = "not_found"
	Conflict     Code = "conflict"
	Forbidden    Code = "forbidden"
	Unauthorized Code = "unauthorized"
	Internal     Code = "internal"
)

// Error is a domain error with a user-facing Chinese message.
type Error struct {
	Code    Code
	Field   string // form/JSON field the error refers to, "" if none
	Message string // Chinese, shown to the user
	Err     error  // underlying cause, never shown
}

func (e *Error) Error() string {
	s := string(e.Code)
	if e.Field != "" {
		s += " " + e.Field
	}
	s += ": " + e.Message
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error with the given code, field and message.
func New(code Code, field, msg string) *Error {
	return &Error{Code: code, Field: field, Message: msg}
}

// Invalidf returns an Invalid error for field with a formatted message.
func Invalidf(field, format string, args ...any) *Error {
	return &Error{Code: Invalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Wrap marks an unexpected error as Internal, keeping it as the cause.
func Wrap(err error, msg string) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Message: msg, Err: err}
}

// CodeOf returns the code of err, Internal for foreign errors.
func CodeOf(err error) Code { return As(err).Code }

// As returns err as *Error (the first one of a List), wrapping foreign
// errors as Internal.
func As(err error) *Error {
	var l List
	if errors.As(err, &l) && len(l) > 0 {
		return l[0]
	}
	var e *Error
	if errors.As(err, &e) {
		if e.Code == Internal {
			if c := classify(e.Err); c != nil { // a full disk or a lost database under "保存失败"
				return c
			}
		}
		return e
	}
	if c := classify(err); c != nil {
		return c
	}
	return &Error{Code: Internal, Message: "系统内部错误，请稍后再试", Err: err}
}

// Fields returns field → message for every field error in err (a List or a
// single *Error with a field), for rendering all of them beside the form.
func Fields(err error) map[string]string {
	var l List
	if errors.As(err, &l) {
		return l.Fields()
	}
	var e *Error
	if errors.As(err, &e) && e.Field != "" {
		return map[string]string{e.Field: e.Message}
	}
	return nil
}

// List collects several field errors so a form can show all of them at once.
type List []*Error

func (l List) Error() string {
	if len(l) == 0 {
		return "no errors"
	}
	return fmt.Sprintf("%s (and %d more)", l[0].Error(), len(l)-1)
}

// Add appends an Invalid error for field.
func (l *List) Add(field, format string, args ...any) {
	*l = append(*l, Invalidf(field, format, args...))
}

// Err returns nil when the list is empty, else the list itself.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Fields returns field → message for rendering a form.
func (l List) Fields() map[string]string {
	m := make(map[string]string, len(l))
	for _, e := range l {
		if _, ok := m[e.Field]; !ok {
			m[e.Field] = e.Message
		}
	}
	return m
}

// HTTPStatus maps an error's code to its HTTP status; the one place the
// web pages and the API take it from.
func HTTPStatus(err error) int {
	switch CodeOf(err) {
	case Invalid:
		return 400
	case NotFound:
		return 404
	case Conflict:
		return 409
	case Forbidden:
		return 403
	case Unauthorized:
		return 401
	case Unavailable:
		return 503
	case StorageFull:
		return 507
	}
	return 500
}
