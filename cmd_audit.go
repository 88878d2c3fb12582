package main

import (
	"os"
	"os/user"
	"sort"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/audit"
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
