package auth

import (
	"errors"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database"
)

// Defect 7: token lookups used the global handle without a nil check and
// panicked while the database was away; now they return ErrClosed.
func TestAPITokenCallsWithDatabaseAwayReturnErrClosed(t *testing.T) {
	t.Parallel()
	s := NewTokens(database.NewHandle(nil, nil), nil)
	if _, err := s.Authenticate(APITokenPrefix + "abcdefghijklmnop"); !errors.Is(err, database.ErrClosed) {
		t.Fatalf("Authenticate: %v, want ErrClosed", err)
	}
	if _, err := s.List(); !errors.Is(err, database.ErrClosed) {
		t.Fatalf("List: %v, want ErrClosed", err)
	}
	if _, _, err := s.Create(1, "ci"); !errors.Is(err, database.ErrClosed) {
		t.Fatalf("Create: %v, want ErrClosed", err)
	}
	if err := s.Revoke(1); !errors.Is(err, database.ErrClosed) {
		t.Fatalf("Revoke: %v, want ErrClosed", err)
	}
}
