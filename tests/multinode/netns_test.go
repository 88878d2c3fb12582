package multinode

import (
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
