package notify

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"gorm.io/gorm"
)

// allKinds in a webhook's filter means every kind, present and future.
const allKinds = "*"

// Webhook is one endpoint as the API shows it (the secret only when made).
type Webhook struct {
	ID      int      `json:"id"`
	URL     string   `json:"url"`
	Events  []string `json:"events"` // kinds, or ["*"]
	Enabled bool     `json:"enabled"`
	Created int64    `json:"created"` // unix milliseconds
	// Secret is shown once, in the answer to the add that made it (or the
	// update that replaced it); receivers verify signatures with it.
	Secret string `json:"secret,omitempty"`
}

// WebhookInput is an add or update. Nil fields keep their value on update.
type WebhookInput struct {
	URL     *string   `json:"url"`
	Secret  *string   `json:"secret"` // empty on add: a random one is made
	Events  *[]string `json:"events"`
	Enabled *bool     `json:"enabled"`
}

// Webhooks stores the webhook endpoints (master-only writes, as every
// shared-table write).
type Webhooks struct {
	db     *database.Handle
	node   *cluster.Node
	sender *Sender // the test button's posts
	now    func() time.Time
	actor  audit.Actor // who writes (recorded in the audit log)
}

// As is s making its writes for actor.
func (s *Webhooks) As(actor audit.Actor) *Webhooks {
	c := *s
	c.actor = actor
	return &c
}

// auditObject is a webhook's fields as the audit log compares them (the
// secret is masked by its name).
func auditObject(w model.NotifyWebhook) map[string]any {
	return map[string]any{"url": w.URL, "secret": w.Secret, "events": w.Events, "enabled": w.Enabled}
}

// NewWebhooks manages the endpoints in db; writes need node to be master.
func NewWebhooks(db *database.Handle, node *cluster.Node) *Webhooks {
	return &Webhooks{db: db, node: node, sender: NewSender(DefaultTimeout), now: time.Now}
}

func viewOf(w model.NotifyWebhook) Webhook {
	return Webhook{ID: w.Id, URL: w.URL, Events: splitKinds(w.Events), Enabled: w.Enabled, Created: w.CreatedAt}
}

func splitKinds(s string) []string {
	out := []string{}
	for _, k := range strings.Split(s, ",") {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// wants reports whether a webhook's stored filter takes kind.
func wants(filter string, kind Kind) bool {
	kinds := splitKinds(filter)
	return slices.Contains(kinds, allKinds) || slices.Contains(kinds, string(kind))
}

// List is every webhook, oldest first.
func (s *Webhooks) List() ([]Webhook, error) {
	conn, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	var rows []model.NotifyWebhook
	if err := conn.Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Webhook, 0, len(rows))
	for _, r := range rows {
		out = append(out, viewOf(r))
	}
	return out, nil
}

// Add validates in and stores a new webhook; the answer carries the secret.
func (s *Webhooks) Add(in WebhookInput) (Webhook, error) {
	if err := s.node.RequireMaster(); err != nil {
		return Webhook{}, err
	}
	row := model.NotifyWebhook{Events: allKinds, Enabled: true, CreatedAt: s.now().UnixMilli()}
	if in.URL == nil {
		return Webhook{}, errs.Invalid("url", "is required")
	}
	if in.Secret == nil || *in.Secret == "" {
		secret := randomSecret()
		in.Secret = &secret
	}
	if err := apply(&row, in); err != nil {
		return Webhook{}, err
	}
	conn, err := s.db.DB()
	if err != nil {
		return Webhook{}, err
	}
	e := audit.Entry{Action: "webhook.add", TargetKind: "webhook"}
	err = audit.Tx(conn, s.node.Config().NodeID, s.actor, e, func(tx *gorm.DB, e *audit.Entry) error {
		row.Id = 0 // a retried attempt must not reuse a rolled-back id
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		e.TargetID = strconv.Itoa(row.Id)
		e.Changes = audit.Diff("", nil, auditObject(row))
		return nil
	})
	if err != nil {
		return Webhook{}, err
	}
	w := viewOf(row)
	w.Secret = row.Secret
	return w, nil
}

// Update changes the fields in carries; a bad field changes nothing.
func (s *Webhooks) Update(id int, in WebhookInput) (Webhook, error) {
	if err := s.node.RequireMaster(); err != nil {
		return Webhook{}, err
	}
	conn, err := s.db.DB()
	if err != nil {
		return Webhook{}, err
	}
	var row model.NotifyWebhook
	e := audit.Entry{Action: "webhook.update", TargetKind: "webhook", TargetID: strconv.Itoa(id)}
	err = audit.Tx(conn, s.node.Config().NodeID, s.actor, e, func(tx *gorm.DB, e *audit.Entry) error {
		if err := tx.First(&row, id).Error; err != nil {
			if database.IsNotFound(err) {
				return errs.NotFound("id", "no webhook %d", id)
			}
			return err
		}
		before := auditObject(row)
		if err := apply(&row, in); err != nil {
			return err
		}
		e.Changes = audit.Diff("", before, auditObject(row))
		return tx.Save(&row).Error
	})
	if err != nil {
		return Webhook{}, err
	}
	w := viewOf(row)
	if in.Secret != nil {
		w.Secret = row.Secret
	}
	return w, nil
}

// Delete removes a webhook and its outbox rows (nothing more is owed to it).
func (s *Webhooks) Delete(id int) error {
	if err := s.node.RequireMaster(); err != nil {
		return err
	}
	conn, err := s.db.DB()
	if err != nil {
		return err
	}
	e := audit.Entry{Action: "webhook.delete", TargetKind: "webhook", TargetID: strconv.Itoa(id)}
	return audit.Tx(conn, s.node.Config().NodeID, s.actor, e, func(tx *gorm.DB, e *audit.Entry) error {
		var old model.NotifyWebhook
		if err := tx.First(&old, id).Error; err != nil {
			if database.IsNotFound(err) {
				return errs.NotFound("id", "no webhook %d", id)
			}
			return err
		}
		e.Changes = audit.Diff("", auditObject(old), nil)
		if err := tx.Delete(&model.NotifyWebhook{}, id).Error; err != nil {
			return err
		}
		return tx.Where("webhook_id = ?", id).Delete(&model.NotifyDelivery{}).Error
	})
}

// get reads one webhook with its secret.
func (s *Webhooks) get(id int) (model.NotifyWebhook, error) {
	var row model.NotifyWebhook
	conn, err := s.db.DB()
	if err != nil {
		return row, err
	}
	if err := conn.First(&row, id).Error; err != nil {
		if database.IsNotFound(err) {
			return row, errs.NotFound("id", "no webhook %d", id)
		}
		return row, err
	}
	return row, nil
}

// apply validates every field of in before it changes row, so a bad
// field leaves row as it was.
func apply(row *model.NotifyWebhook, in WebhookInput) error {
	next := *row
	if in.URL != nil {
		u, err := CheckURL(*in.URL)
		if err != nil {
			return err
		}
		next.URL = u
	}
	if in.Secret != nil {
		s := strings.TrimSpace(*in.Secret)
		if len(s) < 16 || len(s) > 128 {
			return errs.Invalid("secret", "must be 16 to 128 characters (leave it empty on add for a random one)")
		}
		next.Secret = s
	}
	if in.Events != nil {
		kinds, err := checkKinds(*in.Events)
		if err != nil {
			return err
		}
		next.Events = kinds
	}
	if in.Enabled != nil {
		next.Enabled = *in.Enabled
	}
	*row = next
	return nil
}

// CheckURL accepts an absolute http(s) URL with a host, without a
// fragment or credentials in it (the secret signs; userinfo would leak
// into logs and the delivery log).
func CheckURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", errs.Invalid("url", "is required")
	}
	if len(raw) > 2048 {
		return "", errs.Invalid("url", "is longer than 2048 characters")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", errs.Invalid("url", "is not a URL: %v", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errs.Invalid("url", "must start with http:// or https://, got %q", u.Scheme)
	case u.Hostname() == "":
		return "", errs.Invalid("url", "has no host")
	case u.User != nil:
		return "", errs.Invalid("url", "must not carry a user or password")
	case u.Fragment != "":
		return "", errs.Invalid("url", "must not have a #fragment")
	}
	return u.String(), nil
}

// checkKinds validates a filter list and stores it comma-separated.
func checkKinds(list []string) (string, error) {
	if len(list) == 0 {
		return "", errs.Invalid("events", "must name at least one event kind, or \"*\" for all")
	}
	known := map[string]bool{allKinds: true}
	for _, k := range Kinds() {
		known[string(k)] = true
	}
	seen := map[string]bool{}
	var out []string
	for i, k := range list {
		k = strings.TrimSpace(k)
		if !known[k] {
			return "", errs.Invalid(fmt.Sprintf("events[%d]", i), "unknown event kind %q", k)
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return strings.Join(out, ","), nil
}

func randomSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("notify: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}
