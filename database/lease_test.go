package database

import (
	"errors"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
)

func TestMasterLease(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		conn := openBackend(t, b)
		if err := AcquireMasterLease(conn, "m1@a", time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := AcquireMasterLease(conn, "m1@a", time.Minute); err != nil {
			t.Fatalf("renewal by the holder: %v", err)
		}
		err := AcquireMasterLease(conn, "m2@b", time.Minute)
		var held *LeaseHeldError
		if !errors.As(err, &held) || held.Holder != "m1@a" {
			t.Fatalf("second master: want LeaseHeldError naming m1@a, got %v", err)
		}
		if err := ReleaseMasterLease(conn, "m2@b"); err != nil {
			t.Fatal(err)
		}
		if err := AcquireMasterLease(conn, "m2@b", time.Minute); err == nil {
			t.Fatal("a release by a non-holder must not free the lease")
		}
		if err := ReleaseMasterLease(conn, "m1@a"); err != nil {
			t.Fatal(err)
		}
		if err := AcquireMasterLease(conn, "m2@b", time.Minute); err != nil {
			t.Fatalf("after release: %v", err)
		}
		// An expired lease can be taken over.
		conn.Model(&model.SharedState{}).Where(keyIs(MasterLeaseKey)).Update("version", time.Now().Unix()-1)
		if err := AcquireMasterLease(conn, "m3@c", time.Minute); err != nil {
			t.Fatalf("expired lease: %v", err)
		}
		if v, err := GetSharedAccountsVersion(conn); err != nil || v != 0 {
			t.Fatalf("lease must not touch the accounts version: %d %v", v, err)
		}
	})
}
