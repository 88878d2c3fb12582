package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/sub"
	"github.com/mhsanaei/3x-ui/v2/util/lifecycle"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

// TestSubSettingRoutes: every sub* key is listed by setting/all with its
// default, setting/update accepts good values and refuses bad ones by
// name without changing anything (the Clash template is parsed first).
func TestSubSettingRoutes(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		c := env.loggedIn()
		all := c.api("GET", "setting/all", nil).expectOK().obj()
		for _, d := range sub.Defs {
			v, ok := all[d.Key]
			if !ok {
				t.Errorf("setting/all lacks %s", d.Key)
				continue
			}
			if fmt.Sprint(v) != d.Default {
				t.Errorf("%s default %v, want %s", d.Key, v, d.Default)
			}
		}
		if all["subEnable"] != true || all["subSingboxPath"] != "/singbox/" || all["subUpdates"] != float64(12) {
			t.Errorf("defaults: %v %v %v", all["subEnable"], all["subSingboxPath"], all["subUpdates"])
		}
		before := env.dbState(t)
		for key, bad := range map[string]any{
			"subClashTemplate":   "proxy-groups: [{name: x}]",
			"subClashUserAgents": "(unclosed",
			"subSupportUrl":      "javascript:alert(1)",
			"subListen":          "not-an-ip",
			"subSingboxPath":     "/../x/",
			"subJsonEnable":      "maybe",
		} {
			c.api("POST", "setting/update", map[string]any{key: bad}).expectFail(400, key)
		}
		if env.dbState(t) != before {
			t.Fatal("rejected settings changed the database")
		}
		good := map[string]any{
			"subClashTemplate": "mixed-port: 7891\nproxy-groups:\n  - name: G\n    type: select\n    proxies: [$proxies]\nrules:\n  - MATCH,G\n",
			"subListen":        "127.0.0.1", "subSingboxPath": "/sb/", "subSingboxEnable": false,
			"subSupportUrl": "https://help.example.com", "subTitle": "VPN", "subShowInfo": false,
			"subClashUserAgents": "(?i)clash", "subURI": "https://sub.example.com/sub/",
		}
		c.api("POST", "setting/update", good).expectOK()
		all = c.api("GET", "setting/all", nil).expectOK().obj()
		for k, v := range good {
			if all[k] != v {
				t.Errorf("%s = %v, want %v", k, all[k], v)
			}
		}
	})
}

// TestSubServerRestartsOnSettingsChange: x-ui run's subscription server
// listens on subPort and moves when the setting changes.
func TestSubServerRestartsOnSettingsChange(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	env := newEnv(t, dbtest.New(t, dbtest.SQLite))
	c := env.loggedIn()
	port1, port2 := xraytest.FreePort(t), xraytest.FreePort(t)
	c.api("POST", "setting/update", map[string]any{"subPort": port1, "subListen": "127.0.0.1"}).expectOK()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	loops := lifecycle.New(ctx, lifecycle.Hooks{})
	defer loops.Stop()
	srv := startSubscriptions(ctx, loops, env.app, config.NodeConfig{}, nil)
	defer srv.Stop()
	get := func(addr string) int {
		resp, err := http.Get("http://" + addr + "/sub/unknownsubid00000")
		if err != nil {
			return 0
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}
	if addr := srv.Addr(); addr != "127.0.0.1:"+itoa(port1) || get(addr) != 404 {
		t.Fatalf("addr %q", addr)
	}
	c.api("POST", "setting/update", map[string]any{"subPort": port2}).expectOK()
	want := "127.0.0.1:" + itoa(port2)
	if !xraytest.Eventually(10*time.Second, func() bool { return srv.Addr() == want }) || get(want) != 404 {
		t.Fatalf("after the change: addr %q", srv.Addr())
	}
	if get("127.0.0.1:"+itoa(port1)) != 0 {
		t.Error("old port still serves")
	}
	// Panel routes are not served by the subscription listener.
	if resp, err := http.Get("http://" + want + testBase + "panel/api/inbounds/list"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("panel route on the sub server: %d", resp.StatusCode)
		}
	}
	c.api("POST", "setting/update", map[string]any{"subEnable": false}).expectOK()
	if !xraytest.Eventually(10*time.Second, func() bool { return srv.Addr() == "" }) {
		t.Fatal("subEnable=false kept the listener")
	}
}
