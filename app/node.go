package app

import (
	"context"
	"log"
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/cluster/nodepush"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/util/lifecycle"
	"github.com/mhsanaei/3x-ui/v2/util/loop"
	"github.com/mhsanaei/3x-ui/v2/web/service"
)

// finalFlushTimeout bounds the last flush at shutdown (the DB may be away).
const finalFlushTimeout = 5 * time.Second

// nodeRuntime holds a node's traffic flush and, in shared mode, its sync.
type nodeRuntime struct {
	db          *database.Handle
	node        config.NodeConfig
	leaseHolder string // "" unless this node holds the master lease
	sync        *service.NodeSyncService
	flush       *service.TrafficFlushService
}

// startNode takes the master lease (shared mode) and starts, in g, the
// loops of the parts New wired (buildNodeParts): the flush, then the
// sync (worker) or the push, heartbeat and lease renewal (master). In
// every mode traffic goes
// Xray -> journal (traffic-pending.json) -> database through the flush
// loop and the per-node ledger, so each byte counts exactly once; a worker
// follows the shared version from its cached snapshot, a master records a
// heartbeat and reconciles quotas and expiry for all nodes.
func startNode(g *lifecycle.Group, app *App, node config.NodeConfig, shared bool) (*nodeRuntime, error) {
	instance := cluster.NodeInstance()
	syncEvery := time.Duration(node.SyncIntervalSeconds) * time.Second
	leaseHolder := ""
	if conn := app.DB.Current(); conn != nil && shared {
		if err := cluster.CheckNodeIdentity(conn, node, instance); err != nil {
			return nil, err
		}
		if node.Role != config.NodeRoleWorker {
			leaseHolder = masterLeaseHolder(node, instance)
			// lease.moved when it was another master's (notify).
			err := database.TakeMasterLease(conn, leaseHolder, leaseTTL(syncEvery), app.notify.events.LeaseMoved)
			if err != nil {
				return nil, err
			}
		}
	}
	rt := &nodeRuntime{
		db:          app.DB,
		node:        node,
		leaseHolder: leaseHolder,
		flush:       app.flush,
		sync:        app.sync,
	}
	// Before any loop applies a config: an Xray left by the previous panel
	// is adopted and diffed, not restarted.
	app.Xray.AdoptRunning()
	flushEvery := time.Duration(node.TrafficFlushSeconds) * time.Second
	g.Go("traffic flush", func(ctx context.Context) error {
		rt.flush.RunEvery(ctx, flushEvery)
		return nil
	})
	if node.Role == config.NodeRoleWorker {
		app.push.set(nodepush.NewReceiver(app.DB, rt.sync.Wake))
		// Build Xray before HTTP serves: the cached snapshot, then one
		// sync attempt (the database may be away; the cache then stands).
		rt.sync.Prepare()
		g.Go("sync", func(ctx context.Context) error {
			rt.sync.Follow(ctx, syncEvery)
			return nil
		})
	} else {
		startPusher(g, app)
		if node.NodeID != "" {
			g.Go("heartbeat", func(ctx context.Context) error {
				rt.sync.RunHeartbeatLoop(ctx, syncEvery)
				return nil
			})
		}
		if leaseHolder != "" {
			g.Go("master lease", func(ctx context.Context) error {
				renewMasterLease(ctx, app.DB, leaseHolder, syncEvery)
				return nil
			})
		}
	}
	return rt, nil
}

// leaseTTL outlives a few missed renewals, so a busy database does not
// hand the lease to a second master while the first is alive.
func leaseTTL(syncEvery time.Duration) time.Duration { return 3 * syncEvery }

func masterLeaseHolder(node config.NodeConfig, instance string) string {
	id := node.NodeID
	if id == "" {
		id = "master"
	}
	if node.NodeAddress != "" {
		id += " at " + node.NodeAddress
	}
	return id + " #" + instance
}

// renewMasterLease keeps the lease alive every sync interval.
func renewMasterLease(ctx context.Context, db *database.Handle, holder string, every time.Duration) {
	loop.Every(ctx, every, func() {
		conn, err := db.Reconnect()
		if err == nil {
			err = database.AcquireMasterLease(conn, holder, leaseTTL(every))
		}
		if err != nil {
			log.Printf("master lease: %v", err)
		}
	})
}

// finish runs after every loop ended (the flush loop made its own last
// flush): it flushes once more (the drain at shutdown may have journaled
// more), bounded in time, and gives the master lease up.
func (rt *nodeRuntime) finish() {
	defer rt.releaseLease()
	result := make(chan error, 1)
	go func() { result <- rt.flush.FlushOnce() }()
	select {
	case err := <-result:
		if err != nil {
			log.Printf("final traffic flush: %v (kept in %s)", err, config.GetTrafficPendingPath())
		}
	case <-time.After(finalFlushTimeout):
		log.Printf("final traffic flush timed out; kept in %s", config.GetTrafficPendingPath())
	}
}

func (rt *nodeRuntime) releaseLease() {
	if rt.leaseHolder == "" {
		return
	}
	if conn := rt.db.Current(); conn != nil {
		if err := database.ReleaseMasterLease(conn, rt.leaseHolder); err != nil {
			log.Printf("master lease: release: %v", err)
		}
	}
}

// startPusher runs the master's push to workers (the fan-out kicks it
// after each change), when the push secret is there; without it workers
// poll and the kicks are dropped.
func startPusher(g *lifecycle.Group, app *App) {
	conn := app.DB.Current()
	if app.pusher == nil || conn == nil {
		return
	}
	if _, err := nodepush.EnsureSecret(conn); err != nil {
		log.Printf("node push disabled (workers poll): %v", err)
		return
	}
	g.Go("push", func(ctx context.Context) error {
		app.pusher.Run(ctx)
		return nil
	})
}
