package multinode

import (
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/config"
)

// TestSafetyRails: a second master refuses to start while the first holds
// the lease (and may start once it has stopped); a node reusing a live
// node's nodeId refuses to start.
func TestSafetyRails(t *testing.T) {
	t.Parallel() // own namespaces, MariaDB database and x-ui processes
	opts := nodeOptions{syncSeconds: 2, flushSeconds: 1}
	c := newCluster(t, 1, opts)

	second := newNode(t, c, "m2", config.NodeRoleMaster, opts)
	out := second.startRefused(c)
	if !strings.Contains(out, "another master") || !strings.Contains(out, c.master.host.nsIP) {
		t.Fatalf("second master: want a lease refusal naming the first master, got:\n%s", out)
	}

	clone := newNode(t, c, "dup", config.NodeRoleWorker, nodeOptions{syncSeconds: 2, flushSeconds: 1, nodeID: c.workers[0].name})
	out = clone.startRefused(c)
	if !strings.Contains(out, "nodeId") || !strings.Contains(out, "already used") {
		t.Fatalf("duplicate nodeId: want a refusal, got:\n%s", out)
	}

	// A graceful stop releases the lease: the standby master can take over.
	c.master.stop()
	second.start(c)
}
