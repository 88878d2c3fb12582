package inbound

import (
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/users"
	"gorm.io/gorm"
)

var (
	tagPattern = regexp.MustCompile(`^[A-Za-z0-9._:@\[\]\-]{1,255}$`)
)

const maxTagLength = 255

// validateInboundFields checks everything that needs no database and fills
// in defaults (trimmed listen). It does not touch the tag.
func validateInboundFields(in *model.Inbound) error {
	switch in.Protocol {
	case model.VLESS, model.VMESS, model.Trojan, model.Shadowsocks:
	default:
		return errs.Invalid("protocol", "%q is not supported (use vless, vmess, trojan or shadowsocks)", in.Protocol)
	}
	if in.Port < 1 || in.Port > 65535 {
		return errs.Invalid("port", "%d is not a TCP port (1-65535)", in.Port)
	}
	in.Listen = strings.TrimSpace(in.Listen)
	if err := validateInboundHardening(in); err != nil {
		return err
	}
	if in.Listen != "" && !isSocketListen(in.Listen) && net.ParseIP(strings.Trim(in.Listen, "[]")) == nil {
		return errs.Invalid("listen", "%q is not an IP address or a unix socket path", in.Listen)
	}
	if err := optionalJSONObject("streamSettings", in.StreamSettings); err != nil {
		return err
	}
	if err := optionalJSONObject("sniffing", in.Sniffing); err != nil {
		return err
	}
	if in.Total < 0 {
		return errs.Invalid("total", "must not be negative")
	}
	if in.ExpiryTime < 0 {
		return errs.Invalid("expiryTime", "must not be negative")
	}
	if in.Up < 0 || in.Down < 0 || in.AllTime < 0 {
		return errs.Invalid("up", "traffic counters must not be negative")
	}
	if in.Tag != "" && !tagPattern.MatchString(in.Tag) {
		return errs.Invalid("tag", "%q must be 1-%d letters, digits or . _ - : @ [ ] (it names Xray stats counters)", in.Tag, maxTagLength)
	}
	return nil
}

func optionalJSONObject(field, value string) error {
	if strings.TrimSpace(value) == "" {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(value), &m); err != nil || m == nil {
		return errs.Invalid(field, "must be a JSON object")
	}
	return nil
}

// inboundTag is 3x-ui's generated tag for a listen address and port.
func inboundTag(listen string, port int) string {
	if isWildcardListen(listen) {
		return "inbound-" + strconv.Itoa(port)
	}
	return "inbound-" + listen + ":" + strconv.Itoa(port)
}

func isWildcardListen(listen string) bool {
	switch strings.Trim(strings.TrimSpace(listen), "[]") {
	case "", "0.0.0.0", "::":
		return true
	}
	return false
}

// isSocketListen: Xray listens on a unix socket for "/path" or "@abstract".
func isSocketListen(listen string) bool {
	return strings.HasPrefix(listen, "/") || strings.HasPrefix(listen, "@")
}

// listensOverlap: a wildcard IP address clashes with every IP address; a
// socket only with the same socket.
func listensOverlap(a, b string) bool {
	if isSocketListen(a) || isSocketListen(b) {
		return a == b
	}
	if isWildcardListen(a) || isWildcardListen(b) {
		return true
	}
	ia, ib := net.ParseIP(strings.Trim(a, "[]")), net.ParseIP(strings.Trim(b, "[]"))
	if ia != nil && ib != nil {
		return ia.Equal(ib)
	}
	return strings.EqualFold(a, b)
}

// checkSettingsShape validates protocol-level settings (the shadowsocks
// method and server key) and returns the method ("" for other protocols).
func checkSettingsShape(p model.Protocol, doc *settingsDoc, hasClients bool) (string, error) {
	if p != model.Shadowsocks {
		return "", nil
	}
	method := doc.str("method")
	if err := users.CheckSSMethod(method, doc.str("password"), hasClients); err != nil {
		return "", errs.Invalid(err.Field, "%s", err.Msg)
	}
	return method, nil
}

// validateClient checks one client for protocol p (ssMethod is the
// inbound's shadowsocks method) with the rules the live API uses too;
// index is used in messages only.
func validateClient(p model.Protocol, ssMethod string, c *Client, index int) error {
	if err := c.Check(string(p), ssMethod); err != nil {
		return errs.Invalid(err.Field, "client %d: %s", index+1, err.Msg)
	}
	return nil
}

// newClients decodes, validates and normalizes clients for an inbound of
// protocol p; emails and keys must be unique within the list.
func newClients(p model.Protocol, ssMethod string, raws []json.RawMessage) ([]Client, []json.RawMessage, error) {
	clients := make([]Client, len(raws))
	norm := make([]json.RawMessage, len(raws))
	emails := make(map[string]bool, len(raws))
	keys := make(map[string]bool, len(raws))
	for i, raw := range raws {
		// A client key Xray or the panel reads another way ("EMAIL":
		// the panel's traffic row would count an email Xray never sees).
		if e := users.CheckKeys(raw); e != nil {
			return nil, nil, errs.Invalid(fmt.Sprintf("settings.clients[%d].%s", i, e.Path), "%s", e.Msg)
		}
		c, err := decodeClient(raw)
		if err != nil {
			return nil, nil, err
		}
		if err := validateClient(p, ssMethod, &c, i); err != nil {
			return nil, nil, err
		}
		email := strings.ToLower(c.Email)
		if emails[email] {
			return nil, nil, errs.Conflict("email", "email %q appears twice", c.Email)
		}
		emails[email] = true
		if field := clientKeyField(p); field != "email" {
			key := c.Key(string(p))
			if field == "id" {
				key = strings.ToLower(key)
			}
			if keys[key] {
				return nil, nil, errs.Conflict(field, "client %d repeats %s %q", i+1, field, c.Key(string(p)))
			}
			keys[key] = true
		}
		if norm[i], err = normalizeClient(raw); err != nil {
			return nil, nil, err
		}
		clients[i] = c
	}
	return clients, norm, nil
}

// checkEmailsFree fails with errs.Conflict("email") if any email already has a
// client_traffics row outside exceptInbound (0 = no exception). Emails are
// compared case-insensitively on both databases.
func checkEmailsFree(tx *gorm.DB, emails []string, exceptInbound int) error {
	if len(emails) == 0 {
		return nil
	}
	lowered := make([]string, len(emails))
	for i, e := range emails {
		lowered[i] = strings.ToLower(e)
	}
	column := "LOWER(email)"
	if database.DialectOf(tx).IsMySQL() {
		column = "email" // utf8mb4_unicode_ci is already case-insensitive and keeps the index
	}
	for start := 0; start < len(lowered); start += SQLChunk {
		end := min(start+SQLChunk, len(lowered))
		var taken []xray.ClientTraffic
		q := tx.Select("email", "inbound_id").Where(column+" IN ?", lowered[start:end])
		if exceptInbound > 0 {
			q = q.Where("inbound_id <> ?", exceptInbound)
		}
		if err := q.Limit(1).Find(&taken).Error; err != nil {
			return err
		}
		if len(taken) > 0 {
			return errs.Conflict("email", "email %q is already used by inbound %d", taken[0].Email, taken[0].InboundId)
		}
	}
	return nil
}

// checkPortFree rejects ports held by another inbound on an overlapping
// address, by the panel, by the subscription server, or by the template.
func checkPortFree(tx *gorm.DB, in *model.Inbound, panelPort int) error {
	if in.Port == panelPort {
		return errs.Conflict("port", "%d is the panel's own port", in.Port)
	}
	if subOn, err := settings.ReadBool(tx, "subEnable"); err != nil {
		return err
	} else if subOn {
		subPort, err := settings.ReadInt(tx, "subPort")
		if err != nil {
			return err
		}
		if subPort == in.Port {
			return errs.Conflict("port", "%d is the subscription server's port", in.Port)
		}
	}
	if m, err := settings.ReadMetrics(tx); err != nil {
		return err
	} else if m.Enable && m.Port == in.Port {
		return errs.Conflict("port", "%d is the metrics listener's port (metricsPort)", in.Port)
	}
	reserved, err := settings.TemplateInbounds(tx)
	if err != nil {
		return err
	}
	for _, r := range reserved {
		if r.Port == in.Port {
			return errs.Conflict("port", "%d is used by the Xray template's %q inbound", in.Port, r.Tag)
		}
	}
	var others []model.Inbound
	if err := tx.Select("id", "listen", "port", "tag").Where("port = ? AND id <> ?", in.Port, in.Id).Find(&others).Error; err != nil {
		return err
	}
	for _, o := range others {
		if listensOverlap(o.Listen, in.Listen) {
			return errs.Conflict("port", "%d is already used by inbound %d (%s)", in.Port, o.Id, o.Tag)
		}
	}
	return nil
}

// checkTagFree rejects a tag held by another inbound or by the template.
func checkTagFree(tx *gorm.DB, in *model.Inbound) error {
	reserved, err := settings.TemplateInbounds(tx)
	if err != nil {
		return err
	}
	for _, r := range reserved {
		if r.Tag == in.Tag {
			return errs.Conflict("tag", "%q is reserved by the Xray template", in.Tag)
		}
	}
	var count int64
	if err := tx.Model(&model.Inbound{}).Where("tag = ? AND id <> ?", in.Tag, in.Id).Count(&count).Error; err != nil {
		return err
	}
	if count > 0 {
		return errs.Conflict("tag", "%q is already used by another inbound", in.Tag)
	}
	return nil
}
