package multinode

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// subnetLockPath serializes subnet picks between test processes on one
// machine: the pick and the "ip addr add" that claims it happen under one
// flock, and a pick skips every address already on an interface, so two
// concurrent runs never take the same /30.
const subnetLockPath = "/run/xui-test-subnets.lock"

// subnetPrefix is the /16 the tests allocate from (XUI_TEST_NET_PREFIX
// overrides it, e.g. "10.215" for a second team on the same machine).
func subnetPrefix() string {
	if p := os.Getenv("XUI_TEST_NET_PREFIX"); p != "" {
		return p
	}
	return "10.213"
}

// claimSubnet locks the allocator, picks a /30 whose addresses no
// interface uses, and calls claim(hostIP, nsIP) while still holding the
// lock; claim must put hostIP on an interface before it returns.
func claimSubnet(t testing.TB, claim func(hostIP, nsIP string) error) (string, string) {
	t.Helper()
	f, err := os.OpenFile(subnetLockPath, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatalf("subnet lock: %v", err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatalf("subnet lock: %v", err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	out, err := exec.Command("ip", "-o", "addr").CombinedOutput()
	if err != nil {
		t.Fatalf("ip -o addr: %v: %s", err, out)
	}
	used := string(out)
	prefix := subnetPrefix()
	for third := 1; third < 255; third++ {
		for base := 0; base < 256; base += 4 {
			hostIP := fmt.Sprintf("%s.%d.%d", prefix, third, base+1)
			nsIP := fmt.Sprintf("%s.%d.%d", prefix, third, base+2)
			if strings.Contains(used, " "+hostIP+"/") || strings.Contains(used, " "+nsIP+"/") {
				continue
			}
			if err := claim(hostIP, nsIP); err != nil {
				t.Fatal(err)
			}
			return hostIP, nsIP
		}
	}
	t.Fatalf("no free /30 left in %s.0.0/16", prefix)
	return "", ""
}
