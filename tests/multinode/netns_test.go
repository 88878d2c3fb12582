package multinode

import (
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// testHost is one node's own network: a namespace joined to the test
// process's namespace by a veth pair on a private /30.
type testHost struct {
	ns     string
	hostIP string // our side, in the root namespace
	nsIP   string // the node's address inside its namespace
}

func ipCmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// newTestHost creates a namespace and veth pair; both go away on cleanup.
func newTestHost(t testing.TB, name string) *testHost {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("multi-node tests create network namespaces and must run as root (CI does)")
	}
	id := rand.Intn(60000) + 1000
	h := &testHost{ns: fmt.Sprintf("xuit-%s-%d", name, id)}
	vHost, vNS := fmt.Sprintf("xv%da", id), fmt.Sprintf("xv%db", id)
	ownNamespace(h.ns, vHost)
	t.Cleanup(func() {
		_ = ipCmd("link", "del", vHost)
		_ = ipCmd("netns", "del", h.ns)
	})
	for _, s := range [][]string{
		{"netns", "add", h.ns},
		{"-n", h.ns, "link", "set", "lo", "up"},
		{"link", "add", vHost, "type", "veth", "peer", "name", vNS},
		{"link", "set", vNS, "netns", h.ns},
	} {
		if err := ipCmd(s...); err != nil {
			t.Fatal(err)
		}
	}
	h.hostIP, h.nsIP = claimSubnet(t, func(hostIP, _ string) error {
		return ipCmd("addr", "add", hostIP+"/30", "dev", vHost)
	})
	for _, s := range [][]string{
		{"link", "set", vHost, "up"},
		{"-n", h.ns, "addr", "add", h.nsIP + "/30", "dev", vNS},
		{"-n", h.ns, "link", "set", vNS, "up"},
	} {
		if err := ipCmd(s...); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// dropTCPTo adds a firewall rule in h's namespace that silently drops
// every TCP packet h sends to addr ("ip:port"), as a firewall between two
// hosts would; the rule goes away with the namespace.
func (h *testHost) dropTCPTo(t testing.TB, addr string) {
	t.Helper()
	ip, port, ok := strings.Cut(addr, ":")
	if !ok {
		t.Fatalf("dropTCPTo %q: want ip:port", addr)
	}
	for _, rule := range []string{
		"add table inet xuitest",
		"add chain inet xuitest out { type filter hook output priority 0; policy accept; }",
		"add rule inet xuitest out ip daddr " + ip + " tcp dport " + port + " drop",
	} {
		out, err := exec.Command("ip", "netns", "exec", h.ns, "nft", rule).CombinedOutput()
		if err != nil {
			t.Fatalf("nft %s in %s: %v: %s", rule, h.ns, err, strings.TrimSpace(string(out)))
		}
	}
}

// tcpConnects reports whether a TCP connection from inside h's namespace
// to addr succeeds within 2 s (curl's exit code 7 or 28 means it did not).
func (h *testHost) tcpConnects(addr string) bool {
	err := exec.Command("ip", "netns", "exec", h.ns, "curl", "-s", "-o", "/dev/null",
		"--connect-timeout", "2", "http://"+addr+"/").Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode() != 7 && exit.ExitCode() != 28
	}
	return err == nil
}
