// Package audit records every write made through the API, the UI, the CLI
// or the Telegram bot in the shared table audit_log, inside the
// transaction of the write itself: who (actor), from where (source IP,
// route or command, node), what (action, target) and the fields that
// changed, with secrets masked. sharedwrite.Writer refuses a write
// without an Entry, so a new write path cannot forget its row.
package audit

import (
	"fmt"
	"strconv"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"gorm.io/gorm"
)

// Actor kinds.
const (
	KindUser   = "user"   // a logged-in admin (session cookie)
	KindToken  = "token"  // a script with an API token
	KindCLI    = "cli"    // the x-ui command line
	KindBot    = "bot"    // the Telegram bot, one admin chat
	KindSystem = "system" // the panel itself (periodic resets, startup)
)

// Actor is who made a write and from where.
type Actor struct {
	Kind    string
	ID      string // user id, OS user, chat id
	Name    string // filled from users when empty and UserID is set
	UserID  int
	Role    string
	TokenID int
	IP      string
	Route   string // "POST /panel/api/inbounds/add" or the CLI command
}

// System is the panel's own actor for writes nobody asked for (periodic
// traffic resets), and the default of a store view without an actor.
func System(what string) Actor { return Actor{Kind: KindSystem, Name: "system", Route: what} }

// CLI is the command line run by the OS user osUser.
func CLI(osUser, command string) Actor {
	return Actor{Kind: KindCLI, ID: osUser, Name: osUser, Route: command}
}

// Bot is the Telegram bot acting for the admin chat chatID.
func Bot(chatID int64, command string) Actor {
	id := strconv.FormatInt(chatID, 10)
	return Actor{Kind: KindBot, ID: id, Name: "bot:" + id, Route: command}
}

// IsZero reports an actor nobody set.
func (a Actor) IsZero() bool { return a.Kind == "" }

// Entry is what one write did: the action, its target and the fields it
// changed.
type Entry struct {
	Action     string // "inbound.add", "client.update", "settings.update"...
	TargetKind string // inbound, client, settings, user, token, webhook...
	TargetID   string
	Changes    []Change
}

// Change is one field's value before and after the write; a secret's
// values are Masked (both, so the row still says it changed).
type Change struct {
	Field  string `json:"field"`
	Before any    `json:"before,omitempty"`
	After  any    `json:"after,omitempty"`
}

// Record inserts the row of e made by a on node in tx, the transaction of
// the write itself.
func Record(tx *gorm.DB, node string, a Actor, e Entry) error {
	if e.Action == "" {
		return fmt.Errorf("audit: entry without an action")
	}
	if a.IsZero() {
		a = System("")
	}
	if a.Name == "" && a.UserID != 0 {
		var names []string
		if err := tx.Model(&model.User{}).Where("id = ?", a.UserID).Limit(1).Pluck("username", &names).Error; err != nil {
			return fmt.Errorf("audit: actor name: %w", err)
		}
		if len(names) > 0 {
			a.Name = names[0]
		}
	}
	if a.ID == "" && a.UserID != 0 {
		a.ID = strconv.Itoa(a.UserID)
	}
	row := model.AuditLog{
		At:        time.Now().UnixMilli(),
		ActorKind: a.Kind, ActorID: clip(a.ID, 64), ActorName: clip(a.Name, 128),
		Role: clip(a.Role, 32), TokenID: a.TokenID, SourceIP: clip(a.IP, 64),
		NodeID: clip(node, 191), Route: clip(a.Route, 255), Action: clip(e.Action, 64),
		TargetKind: clip(e.TargetKind, 32), TargetID: clip(e.TargetID, 191),
		Changes: encodeChanges(e.Changes),
	}
	if err := tx.Create(&row).Error; err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	return nil
}

// clip cuts s to n bytes on a rune boundary (the columns are bounded).
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// Tx runs fn in one transaction of conn and records e (as fn completed
// it) in the same transaction: the write path of the stores that are not
// shared writes (users, API tokens, two-factor, webhooks).
func Tx(conn *gorm.DB, node string, a Actor, e Entry, fn func(tx *gorm.DB, e *Entry) error) error {
	if e.Action == "" {
		return fmt.Errorf("audit: entry without an action")
	}
	return conn.Transaction(func(tx *gorm.DB) error {
		entry := e
		if err := fn(tx, &entry); err != nil {
			return err
		}
		return Record(tx, node, a, entry)
	})
}
