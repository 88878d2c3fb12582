package iplimit

import (
	"errors"
	"testing"
	"time"
)

func TestVersionedLimitsRereadOnlyOnChange(t *testing.T) {
	reads, version := 0, int64(1)
	var versionErr error
	now := time.Unix(1_700_000_000, 0)
	v := &versionedLimits{
		read: func() (map[string]int, error) {
			reads++
			return map[string]int{"a@x": reads}, nil
		},
		version: func() (int64, error) { return version, versionErr },
		now:     func() time.Time { return now },
	}
	get := func() int {
		t.Helper()
		m, err := v.get()
		if err != nil {
			t.Fatal(err)
		}
		return m["a@x"]
	}
	if get() != 1 || get() != 1 || reads != 1 {
		t.Fatalf("same version: %d reads, want 1", reads)
	}
	version = 2
	if get() != 2 || reads != 2 {
		t.Fatalf("after a version change: %d reads, want 2", reads)
	}
	now = now.Add(limitsMaxAge)
	if get() != 3 {
		t.Fatalf("older than limitsMaxAge: %d reads, want 3", reads)
	}
	versionErr = errors.New("db down")
	if _, err := v.get(); err == nil {
		t.Fatal("a failing version read must fail the check, not serve stale limits silently")
	}
}
