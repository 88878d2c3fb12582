// Package cluster knows this node's place in a multi-node install: its role
// (master or worker), identity, the node list and the shared snapshot format.
package cluster

import (
	"context"
	"errors"
	"time"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/errs"
)

// ErrSharedWriteRequiresMaster is what a worker gets for any shared-account
// write; errors.Is finds it inside the Forbidden error RequireMaster returns.
var ErrSharedWriteRequiresMaster = errors.New("shared-account writes are only allowed on master nodes")

// Node is this node's role and identity, read once at start: a role change
// takes a restart, so nothing re-reads x-ui.json per request. db is where
// a worker looks up the master's address for its refusals (may be nil).
// A nil *Node is a master, the role every install starts as.
type Node struct {
	cfg    config.NodeConfig
	shared bool
	db     *database.Handle
}

// NewNode fixes the role of cfg; shared is whether the panel runs on the
// shared MariaDB.
func NewNode(cfg config.NodeConfig, shared bool, db *database.Handle) *Node {
	return &Node{cfg: cfg, shared: shared, db: db}
}

// NodeFromJSON reads the role from x-ui.json, for the plan's package-level
// functions; the panel builds its Node once from the loaded config.
func NodeFromJSON() *Node {
	return NewNode(config.GetNodeConfigFromJSON(), config.GetDBConfigFromJSON().Type == config.DBTypeMariaDB, database.Process())
}

// Config is the node section this Node was built from (zero on nil).
func (n *Node) Config() config.NodeConfig {
	if n == nil {
		return config.NodeConfig{Role: config.NodeRoleMaster}
	}
	return n.cfg
}

// IsWorker reports whether this node is a worker.
func (n *Node) IsWorker() bool {
	return n != nil && n.cfg.Role == config.NodeRoleWorker
}

// IsMaster reports whether this node may write shared accounts.
func (n *Node) IsMaster() bool { return !n.IsWorker() }

// Shared reports whether the panel runs on the shared MariaDB.
func (n *Node) Shared() bool { return n != nil && n.shared }

// RequireMaster returns nil on a master, and on a worker a Forbidden error
// that names the master's address when node_states knows it.
func (n *Node) RequireMaster() error {
	if !n.IsWorker() {
		return nil
	}
	msg := ErrSharedWriteRequiresMaster.Error() + "; this node is a worker"
	if addr := n.masterAddress(); addr != "" {
		msg += ", make the change on the master at " + addr
	}
	return &masterRequiredError{err: &errs.Error{Kind: errs.KindForbidden, Msg: msg}}
}

// IsWorker reports whether x-ui.json makes this node a worker (the plan's
// function; services ask the Node they were built with).
func IsWorker() bool { return NodeFromJSON().IsWorker() }

// IsMaster reports whether x-ui.json lets this node write shared accounts.
func IsMaster() bool { return !IsWorker() }

// RequireMaster is Node.RequireMaster for the role x-ui.json names now.
func RequireMaster() error { return NodeFromJSON().RequireMaster() }

// IsSharedModeEnabled reports whether x-ui.json puts the panel on the
// shared MariaDB.
func IsSharedModeEnabled() bool { return NodeFromJSON().Shared() }

// masterRequiredError is a Forbidden *errs.Error that also matches
// ErrSharedWriteRequiresMaster, so both KindOf and errors.Is work on it.
type masterRequiredError struct {
	err *errs.Error
}

func (e *masterRequiredError) Error() string { return e.err.Error() }

func (e *masterRequiredError) Unwrap() []error {
	return []error{e.err, ErrSharedWriteRequiresMaster}
}

// masterAddress is best effort: the newest master row's node_address, or ""
// when the database is closed, slow, or has no such column or row.
func (n *Node) masterAddress() string {
	if n == nil {
		return ""
	}
	conn := n.db.Current()
	if conn == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var addrs []string
	err := conn.WithContext(ctx).Table("node_states").
		Where("node_role = ?", string(config.NodeRoleMaster)).
		Order("last_heartbeat_at DESC").Limit(1).
		Pluck("node_address", &addrs).Error
	if err != nil || len(addrs) == 0 {
		return ""
	}
	return addrs[0]
}
