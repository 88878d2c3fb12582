package sub_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
	"github.com/mhsanaei/3x-ui/v2/sub"
)

// dbIndexedSource is the master's subscription source: the database behind
// the subId index, keyed by the shared version.
func dbIndexedSource(db *database.Handle) *sub.IndexedSource {
	return &sub.IndexedSource{Source: sub.FuncSource{InboundsFunc: func() ([]*model.Inbound, error) { return sub.DBInbounds(db) }},
		Version: func() (any, error) { return sub.DBSharedVersion(db) },
		Stats: func(emails []string) ([]model.ClientTraffic, error) {
			return sub.DBClientStats(db, emails)
		}}
}

// subClient is a client whose subId is "sub-" plus its name.
func subClient(p model.Protocol, name string) map[string]any {
	c := inboundtest.Client(p, name+"@x")
	c["subId"] = "sub-" + name
	return c
}

func getSub(h http.Handler, subID string) (int, string) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sub/"+subID, nil))
	body := rec.Body.String()
	if rec.Code == http.StatusOK {
		if raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(body)); err == nil {
			body = string(raw)
		}
	}
	return rec.Code, body
}

// TestSubIndexFindsClients (issue 22, finding 6): through the subId index
// the right client is served, a client added later is found (the shared
// version moved, so the index is rebuilt), its traffic row is live, and an
// unknown subId is 404.
func TestSubIndexFindsClients(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		svc := inbound.New(db, nil)
		in, err := svc.AddInbound(inboundtest.Inbound(model.VLESS, 31001,
			subClient(model.VLESS, "a"), subClient(model.VLESS, "b")))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddInbound(inboundtest.Inbound(model.Trojan, 31002, subClient(model.Trojan, "c"))); err != nil {
			t.Fatal(err)
		}
		h := sub.NewHandler(sub.SettingsFrom(nil), dbIndexedSource(db), nil)

		code, body := getSub(h, "sub-a")
		if code != http.StatusOK || !strings.Contains(body, "a%40x") && !strings.Contains(body, "a@x") ||
			strings.Contains(body, "b@x") || strings.Contains(body, "b%40x") {
			t.Fatalf("known subId: %d %q", code, body)
		}
		if code, _ := getSub(h, "sub-c"); code != http.StatusOK {
			t.Fatalf("client of the second inbound: %d", code)
		}
		if code, _ := getSub(h, "no-such-sub-id"); code != http.StatusNotFound {
			t.Fatalf("unknown subId: %d, want 404", code)
		}
		if code, _ := getSub(h, "sub-d"); code != http.StatusNotFound {
			t.Fatalf("not yet added: %d, want 404", code)
		}

		add := &model.Inbound{Id: in.Id, Settings: inboundtest.Settings(model.VLESS, subClient(model.VLESS, "d"))}
		if err := svc.AddInboundClient(add); err != nil {
			t.Fatal(err)
		}
		code, body = getSub(h, "sub-d")
		if code != http.StatusOK || !strings.Contains(body, "d%40x") && !strings.Contains(body, "d@x") {
			t.Fatalf("client added after the index was built: %d %q", code, body)
		}

		// Traffic rows are read per request, not frozen in the index.
		conn := db.Current()
		if err := conn.Model(&model.ClientTraffic{}).Where("email = ?", "d@x").Updates(map[string]any{"up": 1000, "down": 2000}).Error; err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sub/sub-d", nil))
		if info := rec.Header().Get("Subscription-Userinfo"); !strings.Contains(info, "upload=1000") || !strings.Contains(info, "download=2000") {
			t.Fatalf("usage header %q: want the live counters (%d %s)", info, rec.Code, rec.Body)
		}
	})
}

// TestSubscriptionRefusesBody (issue 22, finding 5, subscription side): a
// request with a body is answered 400 and closed, without reading it.
func TestSubscriptionRefusesBody(t *testing.T) {
	t.Parallel()
	h := sub.NewHandler(sub.SettingsFrom(nil), sub.FuncSource{InboundsFunc: func() ([]*model.Inbound, error) { return nil, nil }}, nil)
	req := httptest.NewRequest(http.MethodGet, "/sub/"+testSubID, strings.NewReader("x"))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest || rec.Header().Get("Connection") != "close" {
		t.Fatalf("body on a subscription request: %d %v", rec.Code, rec.Header())
	}
}

// seedClients stores n clients over inbounds of 500 clients each, straight
// into the tables (the benchmark measures lookups, not client writes).
func seedClients(b *testing.B, db *database.Handle, n int) {
	conn := db.Current()
	for i := 0; i*500 < n; i++ {
		var clients []string
		var stats []model.ClientTraffic
		for j := 0; j < 500 && i*500+j < n; j++ {
			email := fmt.Sprintf("c%d-%d", i, j)
			clients = append(clients, fmt.Sprintf(`{"id":%q,"email":%q,"enable":true,"subId":"sub%05d%05d"}`, testUUID, email, i, j))
			stats = append(stats, model.ClientTraffic{Email: email, Enable: true})
		}
		in := inboundtest.Inbound(model.VLESS, 32000+i)
		in.Settings = `{"decryption":"none","clients":[` + strings.Join(clients, ",") + `]}`
		in.Tag = fmt.Sprintf("in-%d", 32000+i)
		if err := conn.Create(in).Error; err != nil {
			b.Fatal(err)
		}
		for k := range stats {
			stats[k].InboundId = in.Id
		}
		if err := conn.CreateInBatches(stats, 250).Error; err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSubscriptionLookup serves one subId out of 10,000 clients on
// SQLite, by a full read (before the index) and through the index, for a
// known and an unknown subId. docs/benchmarks.md has the numbers.
func BenchmarkSubscriptionLookup(b *testing.B) {
	db := testdb.Handle(b, dbtest.New(b, dbtest.SQLite))
	seedClients(b, db, 10000)
	sources := map[string]sub.Source{
		"fullRead": sub.FuncSource{InboundsFunc: func() ([]*model.Inbound, error) { return sub.DBInbounds(db) }},
		"indexed":  dbIndexedSource(db),
	}
	for _, name := range []string{"fullRead", "indexed"} {
		for _, id := range []struct{ name, subID string }{{"known", "sub0001000250"}, {"unknown", "nosuchsubid00000"}} {
			b.Run(name+"/"+id.name, func(b *testing.B) {
				h := sub.NewHandler(sub.SettingsFrom(nil), sources[name], nil)
				want := http.StatusOK
				if id.name == "unknown" {
					want = http.StatusNotFound
				}
				getSub(h, id.subID) // builds the index: once per version, not per request
				for b.Loop() {
					if code, _ := getSub(h, id.subID); code != want {
						b.Fatalf("%s: %d", id.subID, code)
					}
				}
			})
		}
	}
}

// TestSubIndexReadsInboundsOncePerVersion (issue 22, finding 6): requests
// for known and unknown subIds read the full inbound list once per
// version, not once per request; a new version rebuilds once.
func TestSubIndexReadsInboundsOncePerVersion(t *testing.T) {
	t.Parallel()
	reads := 0
	version := int64(1)
	in := inboundFor(1, 443, combo{"vless", "", "ws", "none"}, "", "")
	src := &sub.IndexedSource{
		Source: sub.FuncSource{InboundsFunc: func() ([]*model.Inbound, error) {
			reads++
			return []*model.Inbound{in}, nil
		}},
		Version: func() (any, error) { return version, nil },
	}
	h := sub.NewHandler(sub.SettingsFrom(nil), src, nil)
	for i := 0; i < 50; i++ {
		if code, _ := getSub(h, fmt.Sprintf("unknown%05d", i)); code != http.StatusNotFound {
			t.Fatalf("unknown subId: %d", code)
		}
		if code, _ := getSub(h, testSubID); code != http.StatusOK {
			t.Fatalf("known subId: %d", code)
		}
	}
	if reads != 1 {
		t.Fatalf("100 requests read every inbound %d times, want once", reads)
	}
	version++
	if code, _ := getSub(h, testSubID); code != http.StatusOK || reads != 2 {
		t.Fatalf("after a version change: %d, %d reads (want 2)", code, reads)
	}
}
