// Package errs holds the typed errors services return; each kind maps to
// one HTTP status in the controller envelope.
package errs

import (
	"errors"
	"fmt"
)

// ErrorKind tells a controller which HTTP status an error maps to.
type ErrorKind int

const (
	KindInvalid   ErrorKind = iota + 1 // 400
	KindNotFound                       // 404
	KindConflict                       // 409
	KindForbidden                      // 403
)

// Error is a service error that names the offending field.
type Error struct {
	Kind  ErrorKind
	Field string
	Msg   string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// Invalid is bad input in field (HTTP 400).
func Invalid(field, format string, args ...any) error {
	return &Error{Kind: KindInvalid, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// NotFound is a missing record (HTTP 404).
func NotFound(field, format string, args ...any) error {
	return &Error{Kind: KindNotFound, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Conflict is a clash with existing data, e.g. a port or email in use (HTTP 409).
func Conflict(field, format string, args ...any) error {
	return &Error{Kind: KindConflict, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Forbidden is an operation this node may not perform (HTTP 403).
func Forbidden(format string, args ...any) error {
	return &Error{Kind: KindForbidden, Msg: fmt.Sprintf(format, args...)}
}

// KindOf returns the kind of a service error, or 0 for other errors.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}
