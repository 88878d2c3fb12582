package sub_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/sub"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

// TestServerStartsFromCachedSettings: settings read once are kept in the
// cache file; a later start with the database away uses them, not the
// defaults.
func TestServerStartsFromCachedSettings(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "sub-settings.json")
	port := xraytest.FreePort(t)
	src := sub.FuncSource{InboundsFunc: func() ([]*model.Inbound, error) {
		return []*model.Inbound{inboundFor(1, 443, combo{"vless", "", "ws", "none"}, "", "")}, nil
	}}
	good := func() (map[string]any, error) {
		return map[string]any{"subListen": "127.0.0.1", "subPort": float64(port), "subPath": "/feed/"}, nil
	}
	away := func() (map[string]any, error) { return nil, errors.New("database away") }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	first := sub.NewServer(sub.ServerOptions{Source: src, LoadSettings: good, CachePath: cache})
	first.Start(ctx)
	if first.Addr() != "127.0.0.1:"+strconv.Itoa(port) {
		t.Fatalf("addr %q", first.Addr())
	}
	first.Stop()

	second := sub.NewServer(sub.ServerOptions{Source: src, LoadSettings: away, CachePath: cache})
	second.Start(ctx)
	defer second.Stop()
	if second.Addr() != "127.0.0.1:"+strconv.Itoa(port) {
		t.Fatalf("cold start without the database: addr %q", second.Addr())
	}
	resp, err := http.Get("http://" + second.Addr() + "/feed/" + testSubID)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("cached subPath not served: %d", resp.StatusCode)
	}
}
