package audit

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/model"
)

// Secrets are masked wherever they sit (a client's id, a Reality private
// key deep in stream settings, a token), and only the leaves that changed
// are listed.
func TestInboundDiffMasksSecretsAndListsChangedFields(t *testing.T) {
	before := &model.Inbound{Id: 3, Remark: "a", Port: 443, Protocol: model.VLESS,
		Settings:       `{"clients":[{"id":"uuid-one","email":"x@y","totalGB":0},{"id":"uuid-two","email":"gone@y"}],"decryption":"none"}`,
		StreamSettings: `{"security":"reality","realitySettings":{"privateKey":"pk-old","shortIds":["ab"]}}`}
	after := *before
	after.Remark = "b"
	after.Up = 99 // a counter: not a write's field
	after.Settings = `{"clients":[{"id":"uuid-one","email":"x@y","totalGB":5},{"id":"uuid-new","email":"new@y"}],"decryption":"none"}`
	after.StreamSettings = `{"security":"reality","realitySettings":{"privateKey":"pk-new","shortIds":["ab"]}}`
	got := Inbound(before, &after)
	raw, _ := json.Marshal(got)
	want := `[{"field":"clients.gone@y","before":{"email":"gone@y","id":"***"}},` +
		`{"field":"clients.new@y","after":{"email":"new@y","id":"***"}},` +
		`{"field":"clients.x@y.totalGB","before":0,"after":5},` +
		`{"field":"remark","before":"a","after":"b"},` +
		`{"field":"streamSettings.realitySettings.privateKey","before":"***","after":"***"}]`
	if string(raw) != want {
		t.Fatalf("diff\n got %s\nwant %s", raw, want)
	}
	for _, s := range []string{"uuid-", "pk-"} {
		if strings.Contains(string(raw), s) {
			t.Fatalf("secret %q in %s", s, raw)
		}
	}
	if d := Inbound(before, before); len(d) != 0 {
		t.Fatalf("no change listed %v", d)
	}
}

func TestIsSecret(t *testing.T) {
	for name, want := range map[string]bool{
		"id": true, "clients.a@b.password": true, "tgBotToken": true, "smtpPassword": true, "subId": true,
		"secret": true, "realitySettings.privateKey": true, "twoFactorSecret": true,
		"email": false, "remark": false, "port": false, "clients.a@b.totalGB": false, "publicKey": false,
	} {
		if IsSecret(name) != want {
			t.Errorf("IsSecret(%q) = %v, want %v", name, !want, want)
		}
	}
}

// A bulk write's changes are cut to MaxChangesBytes, whole changes kept,
// and the row says how many it left out.
func TestChangesAreBounded(t *testing.T) {
	var cs []Change
	for i := 0; i < 5000; i++ {
		cs = append(cs, Change{Field: "clients.someone-with-a-long-email-" + strings.Repeat("x", 20), After: "deleted"})
	}
	out := encodeChanges(cs)
	if len(out) > MaxChangesBytes {
		t.Fatalf("%d bytes, over %d", len(out), MaxChangesBytes)
	}
	var back []Change
	if err := json.Unmarshal([]byte(out), &back); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	last := back[len(back)-1]
	if want := len(cs) - (len(back) - 1); last.After != strings.Replace("N more changes not recorded", "N", itoa(want), 1) {
		t.Fatalf("last element %+v, want %d left out", last, want)
	}
	if encodeChanges(nil) != "[]" {
		t.Fatal("no changes must be []")
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// An added inbound lists each client on its own, so one with thousands
// of clients keeps its first clients in the bounded row.
func TestAddedInboundListsClientsOneByOne(t *testing.T) {
	var clients []string
	for i := 0; i < 2000; i++ {
		clients = append(clients, `{"id":"uuid-`+itoa(i)+`","email":"c`+itoa(10000+i)+`@x"}`)
	}
	in := &model.Inbound{Remark: "big", Protocol: model.VLESS, Settings: `{"clients":[` + strings.Join(clients, ",") + `]}`}
	cs := Inbound(nil, in)
	if len(cs) < 2000 {
		t.Fatalf("%d changes, want one per client at least", len(cs))
	}
	out := encodeChanges(cs)
	if !strings.Contains(out, `{"field":"clients.c10000@x","after":{"email":"c10000@x","id":"***"}}`) ||
		!strings.Contains(out, "more changes not recorded") || strings.Contains(out, "uuid-") {
		t.Fatalf("bounded row: %.300s … %s", out, out[len(out)-120:])
	}
}
