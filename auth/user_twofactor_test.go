package auth

import (
	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/config"
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/errs"
)

func TestTwoFactorServicePendingExpiry(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		h := testdb.Handle(t, b)
		now := time.Unix(1_900_000_000, 0)
		s := NewTwoFactor(h, nil)
		s.Now = func() time.Time { return now }
		code := func(secret string) string {
			c, err := TOTPCode(secret, now)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}

		if _, err := s.Setup(999); errs.KindOf(err) != errs.KindNotFound {
			t.Fatalf("setup for a missing user: %v", err)
		}
		first, err := s.Setup(1)
		if err != nil {
			t.Fatal(err)
		}
		if first.ExpiresAt != now.Add(pendingTOTPTTL).Unix() || !strings.Contains(first.URL, "issuer=") {
			t.Fatalf("setup: %+v", first)
		}
		// A pending secret expires unused.
		now = now.Add(pendingTOTPTTL + time.Second)
		if err := s.Enable(1, code(first.Secret)); errs.KindOf(err) != errs.KindInvalid || !strings.Contains(err.Error(), "secret") {
			t.Fatalf("enable after expiry: %v", err)
		}
		// A newer setup replaces the older secret.
		older, _ := s.Setup(1)
		newer, err := s.Setup(1)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Enable(1, code(older.Secret)); errs.KindOf(err) != errs.KindInvalid || !strings.Contains(err.Error(), "code") {
			t.Fatalf("enable with the replaced secret's code: %v", err)
		}
		if err := s.Enable(1, code(newer.Secret)); err != nil {
			t.Fatal(err)
		}
		if on, err := s.Enabled(1); err != nil || !on {
			t.Fatalf("enabled: %v %v", on, err)
		}
		if err := s.Enable(1, code(newer.Secret)); errs.KindOf(err) != errs.KindInvalid {
			t.Fatalf("enable twice: %v", err)
		}
		if err := s.Disable(1, "12345"); errs.KindOf(err) != errs.KindInvalid || !strings.Contains(err.Error(), "code") {
			t.Fatalf("disable with a short code: %v", err)
		}
		if err := s.Disable(1, code(newer.Secret)); err != nil {
			t.Fatal(err)
		}
		if err := s.Disable(1, code(newer.Secret)); errs.KindOf(err) != errs.KindConflict {
			t.Fatalf("disable twice: %v", err)
		}
	})
}

func TestTwoFactorServiceWorkerRefuses(t *testing.T) {
	t.Parallel()
	h := testdb.Handle(t, dbtest.New(t, dbtest.MariaDB))
	worker := cluster.NewNode(config.NodeConfig{Role: config.NodeRoleWorker, NodeID: "worker-1"}, true, h)
	s := NewTwoFactor(h, worker)
	before := testdb.DumpOf(t, h.Current())
	if _, err := s.Setup(1); errs.KindOf(err) != errs.KindForbidden {
		t.Fatalf("setup on a worker: %v", err)
	}
	if err := s.Enable(1, "123456"); errs.KindOf(err) != errs.KindForbidden {
		t.Fatalf("enable on a worker: %v", err)
	}
	if err := s.Disable(1, "123456"); errs.KindOf(err) != errs.KindForbidden {
		t.Fatalf("disable on a worker: %v", err)
	}
	testdb.AssertUnchangedOf(t, h.Current(), before)
}
