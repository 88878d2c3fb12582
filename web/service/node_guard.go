package service

import "github.com/mhsanaei/3x-ui/v2/cluster"

// ErrSharedWriteRequiresMaster is what a worker gets for any shared-account
// write (see cluster.RequireMaster).
var ErrSharedWriteRequiresMaster = cluster.ErrSharedWriteRequiresMaster

// IsWorker reports whether x-ui.json makes this node a worker.
func IsWorker() bool { return cluster.IsWorker() }

// IsMaster reports whether this node may write shared accounts.
func IsMaster() bool { return cluster.IsMaster() }

// RequireMaster returns nil on a master and a Forbidden error on a worker.
func RequireMaster() error { return cluster.RequireMaster() }

// IsSharedModeEnabled reports whether the panel runs on the shared MariaDB.
func IsSharedModeEnabled() bool { return cluster.IsSharedModeEnabled() }
