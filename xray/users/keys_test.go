package users

import (
	"encoding/json"
	"testing"
)

func TestSameKeyFoldsAsEncodingJSON(t *testing.T) {
	// Each pair is proven the same field by encoding/json itself.
	for _, key := range []string{"fallbacks", "Fallbacks", "FALLBACKS", "fallbackſ", "fallbac\u212as"} {
		var st struct {
			F int `json:"fallbacks"`
		}
		if err := json.Unmarshal([]byte(`{"`+key+`":1}`), &st); err != nil || st.F != 1 {
			t.Fatalf("encoding/json does not read %q as fallbacks: the test's premise is wrong", key)
		}
		if !SameKey(key, "fallbacks") {
			t.Errorf("SameKey(%q, fallbacks) = false", key)
		}
	}
	for _, key := range []string{"fallback", "fallbacks2", "fallbacks ", "faIIbacks"} {
		if SameKey(key, "fallbacks") {
			t.Errorf("SameKey(%q, fallbacks) = true", key)
		}
	}
}

func TestCheckKeys(t *testing.T) {
	for raw, want := range map[string]string{
		`{"clients":[],"fallbacks":[{"dest":80}]}`: "",
		`{"a":{"b":[{"c":1},{"c":2}]},"A2":1}`:     "",
		`not json`:                                 "",
		``:                                         "",
		`{"Clients":[]}`:                           "Clients",
		`{"client\u0073":[]}`:                      "", // decodes to the exact name
		`{"clientſ":[]}`:                           "clientſ",
		`{"fallbacks":[{"dest":80},{"Dest":81}]}`:                  "fallbacks[1].Dest",
		`{"clients":[{"id":"x","EMAIL":"e"}]}`:                     "clients[0].EMAIL",
		`{"x":{"port":1,"Port":2}}`:                                "x.Port",
		`{"x":[[{"port":1,"p\u006frt":2}]]}`:                       "x[0][0].port",
		`{"headers":{"Host":"a"},"x":{"host":"b"}}`:                "",
		`{"a":{"tag":1},"b":{"tag":2},"tag":3}`:                    "",
		`{"a":{"k":1},"K":{"k":1}}`:                                "",
		`{"network":"tcp","settings":{"Network":"x"},"NETWORK":1}`: "NETWORK",
	} {
		got := ""
		if e := CheckKeys([]byte(raw)); e != nil {
			got = e.Path
		}
		if got != want {
			t.Errorf("CheckKeys(%s) at %q, want %q", raw, got, want)
		}
	}
	// KeyClash alone leaves spelling to the reader.
	if e := KeyClash([]byte(`{"Clients":[{"EMAIL":"e"}]}`)); e != nil {
		t.Errorf("KeyClash refused a spelling: %v", e)
	}
	if e := KeyClash([]byte(`{"clients":[],"Clients":[]}`)); e == nil || e.Path != "Clients" {
		t.Errorf("KeyClash = %v, want a clash at Clients", e)
	}
}

// DecodeObjects hands the writer the clients Xray would serve: the last
// key folding to "clients", under "clients" alone.
func TestDecodeObjectsFindsTheClientsXrayReads(t *testing.T) {
	for raw, want := range map[string]string{
		`{"clients":[{"id":"a"}]}`:                        "a",
		`{"Clients":[{"id":"a"}]}`:                        "a",
		`{"clientſ":[{"id":"a"}]}`:                        "a",
		`{"clients":[{"id":"b"}],"CLIENTS":[{"id":"a"}]}`: "a",
		`{"CLIENTS":[{"id":"b"}],"clients":[{"id":"a"}]}`: "a",
	} {
		settings, clients, ok, err := DecodeObjects([]byte(raw))
		if err != nil || !ok || len(clients) != 1 || clients[0].(map[string]any)["id"] != want {
			t.Errorf("DecodeObjects(%s) = %v, %v, %v", raw, clients, ok, err)
			continue
		}
		if len(settings) != 1 {
			t.Errorf("DecodeObjects(%s) kept another spelling: %v", raw, settings)
		}
	}
}
