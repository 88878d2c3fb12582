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

// IsWorker reports whether x-ui.json makes this node a worker.
func IsWorker() bool {
	return config.GetNodeConfigFromJSON().Role == config.NodeRoleWorker
}

// IsMaster reports whether this node may write shared accounts (the default).
func IsMaster() bool {
	return !IsWorker()
}

// RequireMaster returns nil on a master, and on a worker a Forbidden error
// that names the master's address when node_states knows it.
func RequireMaster() error {
	if !IsWorker() {
		return nil
	}
	msg := ErrSharedWriteRequiresMaster.Error() + "; this node is a worker"
	if addr := masterAddress(); addr != "" {
		msg += ", make the change on the master at " + addr
	}
	return &masterRequiredError{err: &errs.Error{Kind: errs.KindForbidden, Msg: msg}}
}

// IsSharedModeEnabled reports whether the panel runs on the shared MariaDB.
func IsSharedModeEnabled() bool {
	return config.GetDBConfigFromJSON().Type == config.DBTypeMariaDB
}

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
func masterAddress() string {
	conn := database.GetDB()
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
