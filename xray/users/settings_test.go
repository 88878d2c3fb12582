package users

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func fieldOf(t *testing.T, err error) string {
	t.Helper()
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *FieldError", err, err)
	}
	return fe.Field
}

func TestParseSettingsShapes(t *testing.T) {
	for _, blank := range []string{"", "  \n\t"} {
		f, err := ParseSettings([]byte(blank))
		if err != nil || len(f) != 0 {
			t.Errorf("ParseSettings(%q) = %v, %v; want an empty object", blank, f, err)
		}
	}
	for _, bad := range []string{"{", `{"a":1}x`, "[]", "null", `"s"`, "12", `{"a" 1}`} {
		if _, err := ParseSettings([]byte(bad)); err == nil || fieldOf(t, err) != "settings" {
			t.Errorf("ParseSettings(%q) = %v; want a settings error", bad, err)
		}
		if _, err := ParseStoredSettings([]byte(bad)); err == nil {
			t.Errorf("ParseStoredSettings(%q) accepted malformed JSON", bad)
		}
	}
	// Nested strings with brackets, quotes and escapes do not confuse the
	// structural scan, and values keep their bytes.
	const doc = ` { "decryption" : "none", "clients" : [ {"email":"a\"}]{","id":"x"} , {"email":"b\\"} ] , "fallbacks":[{"dest":"[}"}] } `
	for name, parse := range map[string]func([]byte) (Fields, error){"ParseSettings": ParseSettings, "ParseStoredSettings": ParseStoredSettings} {
		f, err := parse([]byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := string(f["fallbacks"]); got != `[{"dest":"[}"}]` {
			t.Errorf("%s: fallbacks = %s", name, got)
		}
		list, err := f.Clients()
		if err != nil || len(list) != 2 {
			t.Fatalf("%s: clients = %q, %v", name, list, err)
		}
		if id, _ := DecodeIdent(list[0]); id.Email != `a"}]{` || id.ID != "x" {
			t.Errorf("%s: first client ident = %+v", name, id)
		}
		if id, _ := DecodeIdent(list[1]); id.Email != `b\` {
			t.Errorf("%s: second client ident = %+v", name, id)
		}
	}
}

func TestClientValuesAndClients(t *testing.T) {
	cases := []struct {
		doc        string
		values     int  // -1: error
		objectsErr bool // Clients (objects only) fails
	}{
		{`{}`, 0, false},
		{`{"clients":null}`, 0, false},
		{`{"clients":[]}`, 0, false},
		{`{"clients":[{"email":"a"},{}]}`, 2, false},
		{`{"clients":[{"email":"a"},1,"x",null,[]]}`, 5, true},
		{`{"clients":{"email":"a"}}`, -1, true},
		{`{"clients":"a"}`, -1, true},
		{`{"Clients":[{"email":"a"}]}`, 0, false}, // keys match exactly
	}
	for _, c := range cases {
		f, err := ParseSettings([]byte(c.doc))
		if err != nil {
			t.Fatalf("%s: %v", c.doc, err)
		}
		values, err := f.ClientValues()
		if c.values < 0 {
			if err == nil || fieldOf(t, err) != "settings" {
				t.Errorf("%s: ClientValues = %q, %v; want a settings error", c.doc, values, err)
			}
		} else if err != nil || len(values) != c.values {
			t.Errorf("%s: ClientValues = %q, %v; want %d values", c.doc, values, err, c.values)
		}
		if _, err := f.Clients(); (err != nil) != c.objectsErr {
			t.Errorf("%s: Clients error = %v, want error %v", c.doc, err, c.objectsErr)
		}
	}
}

func TestFieldsString(t *testing.T) {
	f, err := ParseSettings([]byte(`{"method":"aes-128-gcm","password":null,"n":5,"o":{},"esc":"a\u0041"}`))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]struct {
		s  string
		ok bool
	}{
		"method": {"aes-128-gcm", true}, "password": {"", true}, "absent": {"", true},
		"n": {"", false}, "o": {"", false}, "esc": {"aA", true},
	} {
		if s, ok := f.String(key); s != want.s || ok != want.ok {
			t.Errorf("String(%q) = %q, %v; want %q, %v", key, s, ok, want.s, want.ok)
		}
	}
}

func TestDecodeClientsQuirks(t *testing.T) {
	const doc = `{"clients":[
		{"id":"11111111-2222-3333-4444-555555555555","email":"Mixed.Case@X","flow":"xtls-rprx-vision","totalGB":1073741824,"expiryTime":-86400000,"tgId":12345,"subId":"s1","reset":7,"limitIp":2},
		{"password":"pw","email":"b","enable":false,"tgId":"@name","expiryTime":1700000000000},
		{"email":"c","enable":null,"unknown":{"deep":[1,2]}}
	]}`
	got, err := DecodeClients(doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d clients", len(got))
	}
	a, b, c := got[0], got[1], got[2]
	if a.Email != "Mixed.Case@X" {
		t.Errorf("email %q: the decoder keeps the case; callers fold it", a.Email)
	}
	if !a.Enable || b.Enable || !c.Enable {
		t.Errorf("enable = %v %v %v; want missing and null to mean enabled", a.Enable, b.Enable, c.Enable)
	}
	if a.Flow != "xtls-rprx-vision" || a.TotalGB != 1<<30 || a.ExpiryTime != -86400000 || a.Reset != 7 || a.LimitIP != 2 || a.SubID != "s1" {
		t.Errorf("first client = %+v", a)
	}
	if string(a.TgID) != "12345" || string(b.TgID) != `"@name"` {
		t.Errorf("tgId kept raw: %s, %s", a.TgID, b.TgID)
	}
	if b.ExpiryTime != 1700000000000 || b.Password != "pw" {
		t.Errorf("second client = %+v", b)
	}

	// 3x-ui's numbers are numbers: a quota or expiry written as a string is
	// an error naming the field, not a silent zero (unlimited, never).
	for field, doc := range map[string]string{
		"totalGB":    `{"clients":[{"email":"a","totalGB":"10"}]}`,
		"expiryTime": `{"clients":[{"email":"a","expiryTime":"1700000000000"}]}`,
		"enable":     `{"clients":[{"email":"a","enable":"true"}]}`,
		"limitIp":    `{"clients":[{"email":"a","limitIp":1.5}]}`,
		"email":      `{"clients":[{"email":5}]}`,
	} {
		if _, err := DecodeClients(doc); err == nil || fieldOf(t, err) != field {
			t.Errorf("%s: error %v; want one naming %s", doc, err, field)
		}
	}
	for _, doc := range []string{`{"clients":[1]}`, `{"clients":{}}`, `{"clients":[{}`, `[]`} {
		if _, err := DecodeClients(doc); err == nil || fieldOf(t, err) != "settings" {
			t.Errorf("%s: error %v; want a settings error", doc, err)
		}
	}
	if got, err := DecodeClients(""); err != nil || len(got) != 0 {
		t.Errorf("blank settings = %v, %v; want no clients", got, err)
	}
}

// subscriptionView is the struct the subscription decoded clients into
// before DecodeView: DecodeView with the same field names must keep and
// drop exactly the clients it kept and dropped.
type subscriptionView struct {
	ID         string `json:"id"`
	Password   string `json:"password"`
	Flow       string `json:"flow"`
	Method     string `json:"method"`
	Security   string `json:"security"`
	Email      string `json:"email"`
	TotalGB    int64  `json:"totalGB"`
	ExpiryTime int64  `json:"expiryTime"`
	Enable     bool   `json:"enable"`
	SubID      string `json:"subId"`
}

var subscriptionFields = []string{"id", "password", "flow", "method", "security", "email", "totalGB", "expiryTime", "enable", "subId"}

func TestDecodeViewMatchesAStructDecode(t *testing.T) {
	for _, raw := range []string{
		`{"email":"a","subId":"s"}`,
		`{"email":"a","subId":"s","limitIp":"x"}`,          // wrong type the view does not read
		`{"email":"a","subId":"s","level":"x","reset":[]}`, // two of them
		`{"limitIp":"x","email":"a","totalGB":"10"}`,       // first wrong field unread, a later one read
		`{"email":"a","comment":5,"enable":"no"}`,          // same, enable
		`{"EMAIL":"a","SubId":"s","ENABLE":false}`,         // keys match case-insensitively
		`{"Email":5,"subId":"s"}`,                          // wrong type under another case
		`{"email":"a","email":"b"}`,                        // duplicate: the last wins
		`{"email":"a","enable":null,"totalGB":null}`,       // null leaves the default
		`{"email":"a","tgId":{"x":1},"expiryTime":-1}`,
		`null`, `"s"`, `[]`, `1`, `true`,
	} {
		want := subscriptionView{Enable: true}
		wantOK := json.Unmarshal([]byte(raw), &want) == nil
		got, ok := DecodeView([]byte(raw), subscriptionFields...)
		if ok != wantOK {
			t.Errorf("%s: DecodeView ok = %v, a struct decode says %v", raw, ok, wantOK)
			continue
		}
		if !ok {
			continue
		}
		view := subscriptionView{got.ID, got.Password, got.Flow, got.Method, got.Security, got.Email, got.TotalGB, got.ExpiryTime, got.Enable, got.SubID}
		if !reflect.DeepEqual(view, want) {
			t.Errorf("%s: DecodeView = %+v, a struct decode %+v", raw, view, want)
		}
	}
	// With no fields needed only the object shape counts.
	if _, ok := DecodeView([]byte(`{"totalGB":"x","email":7}`)); !ok {
		t.Error("DecodeView with no needed fields dropped an object")
	}
}

func TestDecodeIdent(t *testing.T) {
	id, err := DecodeIdent([]byte(`{"id":"U","password":"p\u00e9","email":7,"nested":{"email":"no"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if id != (Ident{ID: "U", Password: "pé"}) {
		t.Errorf("ident = %+v; a non-string email reads as empty, nested keys are not top-level", id)
	}
	if id.Key("vless") != "U" || id.Key("trojan") != "pé" || id.Key("shadowsocks") != "" {
		t.Errorf("Key: %q %q %q", id.Key("vless"), id.Key("trojan"), id.Key("shadowsocks"))
	}
	for _, bad := range []string{`[]`, `"x"`, `{"id":`} {
		if _, err := DecodeIdent([]byte(bad)); err == nil {
			t.Errorf("DecodeIdent(%s) accepted it", bad)
		}
	}
}

func TestDecodeObjects(t *testing.T) {
	settings, clients, has, err := DecodeObjects(nil)
	if err != nil || has || clients != nil || settings == nil || len(settings) != 0 {
		t.Errorf("empty input = %v %v %v %v; want an empty object without clients", settings, clients, has, err)
	}
	settings, clients, has, err = DecodeObjects([]byte(`{"decryption":"none","clients":[{"email":"a","level":1},7]}`))
	if err != nil || !has || len(clients) != 2 {
		t.Fatalf("DecodeObjects = %v %v %v %v", settings, clients, has, err)
	}
	if m, ok := clients[0].(map[string]any); !ok || m["email"] != "a" || m["level"] != float64(1) {
		t.Errorf("first client = %#v; want a generic map (numbers as float64)", clients[0])
	}
	if clients[1] != float64(7) {
		t.Errorf("a non-object entry is returned as it is, got %#v", clients[1])
	}
	if settings["decryption"] != "none" {
		t.Errorf("settings = %v", settings)
	}
	for _, doc := range []string{`{"clients":"x"}`, `{"x":1}`} {
		if _, _, has, err := DecodeObjects([]byte(doc)); err != nil || has {
			t.Errorf("%s: has = %v, %v; want no clients array", doc, has, err)
		}
	}
	if _, _, _, err := DecodeObjects([]byte(`{"clients":`)); err == nil {
		t.Error("malformed JSON accepted")
	}
}
