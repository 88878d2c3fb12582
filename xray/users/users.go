// Package users is the one client type of the panel, from the HTTP body to
// the gRPC call, and the one set of rules a client must meet. The rules are
// Xray's own (its config loader and its proxy packages), so a client the
// panel accepts is a client Xray runs: the renderer, the live API and the
// validator all read the tables below.
package users

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Client is one entry of an inbound's settings.clients, with 3x-ui's field
// names. totalGB is in bytes; expiryTime is ms since the epoch (0 = never,
// negative = a duration that starts at first use).
type Client struct {
	ID         string          `json:"id,omitempty"`
	Password   string          `json:"password,omitempty"`
	Flow       string          `json:"flow,omitempty"`
	Method     string          `json:"method,omitempty"`
	Security   string          `json:"security,omitempty"`
	Email      string          `json:"email"`
	Level      int             `json:"level,omitempty"`
	LimitIP    int             `json:"limitIp"`
	TotalGB    int64           `json:"totalGB"`
	ExpiryTime int64           `json:"expiryTime"`
	Enable     bool            `json:"enable"`
	TgID       json.RawMessage `json:"tgId,omitempty"`
	SubID      string          `json:"subId"`
	Comment    string          `json:"comment"`
	Reset      int             `json:"reset"`
}

// FieldError is a rule a client broke, naming the 3x-ui field.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Length limits (documented in docs/validation.md).
const (
	MaxEmail   = 128
	MaxComment = 1024
	MaxSubID   = 128
	MaxSecret  = 256 // trojan/shadowsocks passwords
)

var (
	uuidPattern  = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	subIDPattern = regexp.MustCompile(`^[A-Za-z0-9._@+\-]*$`)
)

// VLESSFlows are the flows Xray's VLESS inbound loader accepts
// (xtls-rprx-vision-udp443 exists only on the client side of Xray).
var VLESSFlows = []string{"", "xtls-rprx-vision"}

// VMessSecurities are the client ciphers Xray's VMess account knows.
var VMessSecurities = []string{"", "auto", "aes-128-gcm", "chacha20-poly1305", "none", "zero"}

// SS2022KeySize is every Shadowsocks 2022 method with its key size in bytes.
var SS2022KeySize = map[string]int{
	"2022-blake3-aes-128-gcm":       16,
	"2022-blake3-aes-256-gcm":       32,
	"2022-blake3-chacha20-poly1305": 32,
}

// SSClassicMethods are the AEAD ciphers Xray accepts for multi-user
// classic Shadowsocks inbounds (its loader refuses none/plain there).
var SSClassicMethods = []string{
	"aes-128-gcm", "aes-256-gcm", "chacha20-poly1305", "chacha20-ietf-poly1305",
	"xchacha20-poly1305", "xchacha20-ietf-poly1305",
}

// SSMethods lists every method an inbound may use, sorted.
func SSMethods() []string {
	out := append([]string(nil), SSClassicMethods...)
	for m := range SS2022KeySize {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// IsSS2022 reports whether method is a Shadowsocks 2022 method.
func IsSS2022(method string) bool {
	_, ok := SS2022KeySize[method]
	return ok
}

// IsSSClassic reports whether method is a classic multi-user cipher.
func IsSSClassic(method string) bool { return contains(SSClassicMethods, method) }

// CheckSSMethod checks an inbound's shadowsocks method and server key;
// hasClients says whether it runs as a multi-user server.
func CheckSSMethod(method, serverKey string, hasClients bool) *FieldError {
	if size, ok := SS2022KeySize[method]; ok {
		if hasClients && !strings.Contains(method, "aes") {
			return fieldErr("method", "%s does not support multiple users; use 2022-blake3-aes-128-gcm or 2022-blake3-aes-256-gcm", method)
		}
		return CheckSS2022Key("password", method, serverKey, size)
	}
	if !IsSSClassic(method) {
		return fieldErr("method", "%q is not a supported shadowsocks method (use one of %s)", method, strings.Join(SSMethods(), ", "))
	}
	return nil
}

// CheckSS2022Key: a 2022 key is base64 of exactly size bytes. Xray takes a
// bad key over the API without error and then fails every later change.
func CheckSS2022Key(field, method, key string, size int) *FieldError {
	raw, err := base64.StdEncoding.DecodeString(key)
	if err != nil || len(raw) != size {
		return fieldErr(field, "%s needs a base64 key of %d bytes", method, size)
	}
	return nil
}

// Check validates c as a client of an inbound of protocol (vless, vmess,
// trojan, shadowsocks) whose shadowsocks method is ssMethod.
func (c *Client) Check(protocol, ssMethod string) *FieldError {
	if err := CheckEmail(c.Email); err != nil {
		return err
	}
	if len(c.Comment) > MaxComment || strings.IndexByte(c.Comment, 0) >= 0 {
		return fieldErr("comment", "at most %d bytes, no NUL bytes", MaxComment)
	}
	if len(c.SubID) > MaxSubID || !subIDPattern.MatchString(c.SubID) {
		return fieldErr("subId", "at most %d letters, digits or . _ @ + -", MaxSubID)
	}
	if c.Level < 0 || c.Level > 255 {
		return fieldErr("level", "%d is not a level (0-255)", c.Level)
	}
	if err := c.checkProtocol(protocol, ssMethod); err != nil {
		return err
	}
	if c.TotalGB < 0 {
		return fieldErr("totalGB", "must not be negative")
	}
	if c.LimitIP < 0 {
		return fieldErr("limitIp", "must not be negative")
	}
	if c.Reset < 0 {
		return fieldErr("reset", "must not be negative")
	}
	return nil
}

func (c *Client) checkProtocol(protocol, ssMethod string) *FieldError {
	switch protocol {
	case "vless":
		if !uuidPattern.MatchString(c.ID) {
			return fieldErr("id", "%q is not a UUID", clip(c.ID))
		}
		if !contains(VLESSFlows, c.Flow) {
			return fieldErr("flow", "%q is not supported by Xray's VLESS inbound (use \"\" or xtls-rprx-vision)", clip(c.Flow))
		}
	case "vmess":
		if !uuidPattern.MatchString(c.ID) {
			return fieldErr("id", "%q is not a UUID", clip(c.ID))
		}
		if !contains(VMessSecurities, strings.ToLower(c.Security)) {
			return fieldErr("security", "%q is not a VMess cipher (use auto, aes-128-gcm, chacha20-poly1305, none or zero)", clip(c.Security))
		}
	case "trojan":
		if err := checkSecret(c.Password); err != nil {
			return err
		}
		if c.Flow != "" {
			return fieldErr("flow", "Xray removed flows for trojan; leave it empty")
		}
	case "shadowsocks":
		if size, ok := SS2022KeySize[ssMethod]; ok {
			if err := CheckSS2022Key("password", ssMethod, c.Password, size); err != nil {
				return err
			}
			if c.Method != "" && c.Method != ssMethod {
				return fieldErr("method", "shadowsocks 2022 clients must not set their own method")
			}
			return nil
		}
		if err := checkSecret(c.Password); err != nil {
			return err
		}
		if c.Method != "" && !IsSSClassic(c.Method) {
			return fieldErr("method", "%q is not a supported shadowsocks method", clip(c.Method))
		}
	default:
		return fieldErr("protocol", "%q has no clients (vless, vmess, trojan, shadowsocks)", clip(protocol))
	}
	return nil
}

func checkSecret(pw string) *FieldError {
	if pw == "" {
		return fieldErr("password", "is required")
	}
	if len(pw) > MaxSecret || strings.IndexByte(pw, 0) >= 0 {
		return fieldErr("password", "at most %d bytes, no NUL bytes", MaxSecret)
	}
	return nil
}

// clip keeps error messages short when the input is huge.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "...(" + strconv.Itoa(len(s)) + " bytes)"
	}
	return s
}

// XrayFields are the client keys Xray reads per protocol; the rest of a
// 3x-ui client (quota, expiry, subId, ...) is panel-only.
var XrayFields = map[string][]string{
	"vless":       {"id", "flow", "email", "level"},
	"vmess":       {"id", "security", "email", "level"},
	"trojan":      {"password", "email", "level"},
	"shadowsocks": {"password", "method", "email", "level"},
}

// XrayClient is the part of a client object that goes into Xray's config
// for protocol; ssMethod is the inbound's method: 2022 users must not carry
// one, classic users must (Xray's loader has no fallback to the inbound's).
func XrayClient(protocol, ssMethod string, client map[string]any) map[string]any {
	fields, ok := XrayFields[protocol]
	if !ok {
		return client
	}
	out := make(map[string]any, len(fields))
	for _, f := range fields {
		if v, ok := client[f]; ok && v != "" && v != nil {
			out[f] = v
		}
	}
	if protocol == "shadowsocks" {
		if IsSS2022(ssMethod) {
			delete(out, "method")
		} else if _, ok := out["method"]; !ok && ssMethod != "" {
			out["method"] = ssMethod
		}
	}
	return out
}

// FromMap decodes a client object (as held by the renderer and the live
// API) into a Client.
func FromMap(m map[string]any) (*Client, *FieldError) {
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fieldErr("settings", "client is not encodable: %v", err)
	}
	return Decode(raw)
}

// Decode reads one client object; a missing "enable" means enabled.
func Decode(raw []byte) (*Client, *FieldError) {
	c := &Client{Enable: true}
	if err := json.Unmarshal(raw, c); err != nil {
		var typeErr *json.UnmarshalTypeError
		if ok := asTypeErr(err, &typeErr); ok && typeErr.Field != "" {
			return c, fieldErr(typeErr.Field, "must be %s, got %s", typeWords(typeErr.Type), gotWords(typeErr.Value))
		}
		return c, fieldErr("settings", "client is not a JSON object: %v", err)
	}
	return c, nil
}

// KeyField names the field that identifies a client of protocol in the
// delClient/updateClient routes: the UUID, the trojan password, or the email.
func KeyField(protocol string) string {
	switch protocol {
	case "trojan":
		return "password"
	case "shadowsocks":
		return "email"
	default:
		return "id"
	}
}

// Key returns the client's identifying value for protocol.
func (c *Client) Key(protocol string) string {
	switch KeyField(protocol) {
	case "password":
		return c.Password
	case "email":
		return c.Email
	default:
		return c.ID
	}
}

// CheckEmail applies 3x-ui v3's email rule: any Unicode text (ирина@example)
// without '/', '\\', space or control characters, plus two rules of this
// project: no '>' (emails name Xray stats counters user>>>EMAIL>>>…, which
// are split on ">>>") and no invalid UTF-8, at most MaxEmail characters.
func CheckEmail(email string) *FieldError {
	bad := email == "" || !utf8.ValidString(email) || utf8.RuneCountInString(email) > MaxEmail
	for _, r := range email {
		if bad {
			break
		}
		bad = r == '/' || r == '\\' || r == '>' || unicode.IsSpace(r) || unicode.IsControl(r) ||
			r == utf8.RuneError || unicode.Is(unicode.Cf, r)
	}
	if bad {
		return fieldErr("email", "email %q is required: at most %d characters, any letters but no space, control character, / \\ or >", clip(email), MaxEmail)
	}
	return nil
}
