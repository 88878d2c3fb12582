// Package errstest checks typed service errors in tests.
package errstest

import (
	"errors"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/errs"
)

// Want fails the test unless err is an *errs.Error of kind naming field.
func Want(t testing.TB, err error, kind errs.ErrorKind, field string) {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("want %v error on %q, got %v", kind, field, err)
	}
	if e.Kind != kind || e.Field != field {
		t.Fatalf("want kind %v field %q, got kind %v field %q (%v)", kind, field, e.Kind, e.Field, err)
	}
}
