package inbound

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"gorm.io/gorm"
)

var (
	// Emails name Xray stats counters (user>>>EMAIL>>>...), so they stay
	// ASCII without spaces or '>'; ASCII also keeps SQLite and MariaDB's
	// case-insensitive collation in agreement about what "equal" means.
	emailPattern = regexp.MustCompile(`^[A-Za-z0-9._@+\-]{1,128}$`)
	tagPattern   = regexp.MustCompile(`^[A-Za-z0-9._:@\[\]\-]{1,255}$`)
	uuidPattern  = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	vlessFlows   = map[string]bool{"": true, "xtls-rprx-vision": true, "xtls-rprx-vision-udp443": true}
	// Shadowsocks 2022 methods and their key sizes in bytes.
	ss2022KeySize = map[string]int{
		"2022-blake3-aes-128-gcm":       16,
		"2022-blake3-aes-256-gcm":       32,
		"2022-blake3-chacha20-poly1305": 32,
	}
	// Classic AEAD methods Xray accepts for multi-user inbounds.
	ssClassicMethods = map[string]bool{
		"aes-128-gcm": true, "aes-256-gcm": true,
		"chacha20-poly1305": true, "chacha20-ietf-poly1305": true,
		"xchacha20-poly1305": true, "xchacha20-ietf-poly1305": true,
	}
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
	if size, ok := ss2022KeySize[method]; ok {
		if hasClients && !strings.Contains(method, "aes") {
			return "", errs.Invalid("method", "%s does not support multiple users; use 2022-blake3-aes-128-gcm or 2022-blake3-aes-256-gcm", method)
		}
		if err := checkSS2022Key("password", doc.str("password"), size, method); err != nil {
			return "", err
		}
		return method, nil
	}
	if !ssClassicMethods[method] {
		return "", errs.Invalid("method", "%q is not a supported shadowsocks method", method)
	}
	return method, nil
}

func checkSS2022Key(field, key string, size int, method string) error {
	raw, err := base64.StdEncoding.DecodeString(key)
	if err != nil || len(raw) != size {
		return errs.Invalid(field, "%s needs a base64 key of %d bytes", method, size)
	}
	return nil
}

// validateClient checks one client for protocol p (ssMethod is the
// inbound's shadowsocks method); index is used in messages only.
func validateClient(p model.Protocol, ssMethod string, c *Client, index int) error {
	where := "client " + strconv.Itoa(index+1)
	if !emailPattern.MatchString(c.Email) {
		return errs.Invalid("email", "%s: email %q is required and may use only letters, digits and . _ @ + - (at most 128)", where, c.Email)
	}
	switch p {
	case model.VLESS:
		if !uuidPattern.MatchString(c.ID) {
			return errs.Invalid("id", "%s: id %q is not a UUID", where, c.ID)
		}
		if !vlessFlows[c.Flow] {
			return errs.Invalid("flow", "%s: flow %q is not supported (use \"\", xtls-rprx-vision or xtls-rprx-vision-udp443)", where, c.Flow)
		}
	case model.VMESS:
		if !uuidPattern.MatchString(c.ID) {
			return errs.Invalid("id", "%s: id %q is not a UUID", where, c.ID)
		}
	case model.Trojan:
		if c.Password == "" {
			return errs.Invalid("password", "%s: password is required", where)
		}
	case model.Shadowsocks:
		if size, ok := ss2022KeySize[ssMethod]; ok {
			if err := checkSS2022Key("password", c.Password, size, ssMethod); err != nil {
				return errs.Invalid("password", "%s: %s needs a base64 key of %d bytes", where, ssMethod, size)
			}
			if c.Method != "" && c.Method != ssMethod {
				return errs.Invalid("method", "%s: shadowsocks 2022 clients must not set their own method", where)
			}
		} else {
			if c.Password == "" {
				return errs.Invalid("password", "%s: password is required", where)
			}
			if c.Method != "" && !ssClassicMethods[c.Method] {
				return errs.Invalid("method", "%s: %q is not a supported shadowsocks method", where, c.Method)
			}
		}
	}
	if c.TotalGB < 0 {
		return errs.Invalid("totalGB", "%s: must not be negative", where)
	}
	if c.LimitIP < 0 {
		return errs.Invalid("limitIp", "%s: must not be negative", where)
	}
	if c.Reset < 0 {
		return errs.Invalid("reset", "%s: must not be negative", where)
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
			key := c.Key(p)
			if field == "id" {
				key = strings.ToLower(key)
			}
			if keys[key] {
				return nil, nil, errs.Conflict(field, "client %d repeats %s %q", i+1, field, c.Key(p))
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
func checkPortFree(tx *gorm.DB, in *model.Inbound) error {
	if panel := config.GetPanelConfigFromJSON(); in.Port == panel.Port {
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
