package main

import (
	"errors"
	"io/fs"
	"os"
	"os/user"
	"sort"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"gorm.io/gorm"
)

// cliAudit is who runs a CLI command and on which node, for the audit
// rows of the database writes the command makes.
type cliAudit struct {
	actor audit.Actor
	node  string
}

// cliActor is the OS user running "x-ui <command>" with the flags set
// (their names only: a value may be a password).
func cliActor(command string, set map[string]bool, node string) cliAudit {
	name := ""
	if u, err := user.Current(); err == nil {
		name = u.Username
	} else {
		name = os.Getenv("USER")
	}
	flags := make([]string, 0, len(set))
	for f := range set {
		flags = append(flags, "-"+f)
	}
	sort.Strings(flags)
	line := strings.TrimSpace("x-ui " + command + " " + strings.Join(flags, " "))
	return cliAudit{actor: audit.CLI(name, line), node: node}
}

// record inserts e as the command's audit row in tx, the transaction of
// the write.
func (c cliAudit) record(tx *gorm.DB, e audit.Entry) error {
	a := c.actor
	if a.IsZero() {
		a = audit.CLI("", "x-ui")
	}
	return audit.Record(tx, c.node, a, e)
}

// connectionKeys are the x-ui.json keys that say which database to use and
// as what: the way to repair a node whose database is gone or moved.
func connectionKeys() []string {
	return []string{"dbType", "dbHost", "dbPort", "dbUser", "dbPassword", "dbName", "dbTLS", "nodeRole"}
}

// openForFileAudit opens the database an x-ui.json-only change of p is
// recorded in (panel.update, in the change's transaction, as the API's
// panel-only saves are), or answers why it is not: a worker may not write
// the shared log; a change of the database connection or the node's role
// must work with the old database unreachable; a SQLite database not
// created yet is not created for it; an unreachable one does not stop a
// port or path fix.
func openForFileAudit(p settingPlan) (*gorm.DB, string) {
	if p.role == config.NodeRoleWorker {
		return nil, "a worker does not write the shared log"
	}
	for _, k := range connectionKeys() {
		if _, ok := p.updates[k]; ok {
			return nil, "the database connection or node role changed"
		}
	}
	if p.db.Type != config.DBTypeMariaDB {
		if _, err := os.Stat(config.GetDBPath()); errors.Is(err, fs.ErrNotExist) {
			return nil, "no database yet"
		}
	}
	conn, err := database.Open(p.db, p.role, config.GetDBPath())
	if err != nil {
		return nil, "database: " + err.Error()
	}
	return conn, ""
}
