package app

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
)

// 3x-ui scripts read and write the Xray template on panel/api/xray/ (v3)
// and panel/xray/ (v2): obj is a JSON string holding xraySetting and the
// inbound tags; update takes xraySetting as a form field or JSON.
func TestXrayTemplateRoutesMatch3xui(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		c := env.loggedIn()
		c.api("POST", "inbounds/add", vlessInbound(freePort(t), vlessClient("routes@x"))).expectOK()

		for _, prefix := range []string{"panel/api/xray", "panel/xray"} {
			for _, path := range []string{prefix + "/", prefix} {
				r := c.do("POST", path, nil).expectOK()
				text, isString := r.Msg.Obj.(string)
				if !isString {
					t.Fatalf("%s: obj must be a JSON string, got %T: %s", path, r.Msg.Obj, r.Raw)
				}
				var got struct {
					XraySetting map[string]any `json:"xraySetting"`
					InboundTags []string       `json:"inboundTags"`
				}
				if err := json.Unmarshal([]byte(text), &got); err != nil {
					t.Fatalf("%s: obj %q: %v", path, text, err)
				}
				if _, ok := got.XraySetting["outbounds"]; !ok || len(got.InboundTags) != 1 || !strings.HasPrefix(got.InboundTags[0], "inbound-") {
					t.Fatalf("%s: %+v", path, got)
				}
			}
		}

		tpl := c.api("GET", "setting/getXrayTemplate", nil).expectOK().obj()
		// The API port must be free on this host: Xray of another test,
		// package or x-ui may hold the default 62789 meanwhile.
		tpl["inbounds"].([]any)[0].(map[string]any)["port"] = freePort(t)
		formTpl := cloneJSON(t, tpl)
		formTpl["outbounds"] = append(formTpl["outbounds"].([]any), map[string]any{"tag": "via-form", "protocol": "freedom"})
		data, _ := json.Marshal(formTpl)
		c.do("POST", "panel/xray/update", url.Values{"xraySetting": {string(data)}}).expectOK()
		if got := c.api("GET", "setting/getXrayTemplate", nil).expectOK(); !strings.Contains(string(got.Raw), `"via-form"`) {
			t.Fatal("form update on panel/xray/update not saved")
		}
		jsonTpl := cloneJSON(t, tpl)
		jsonTpl["outbounds"] = append(jsonTpl["outbounds"].([]any), map[string]any{"tag": "via-json", "protocol": "freedom"})
		c.api("POST", "xray/update", map[string]any{"xraySetting": jsonTpl}).expectOK()
		if got := c.api("GET", "setting/getXrayTemplate", nil).expectOK(); !strings.Contains(string(got.Raw), `"via-json"`) {
			t.Fatal("JSON update on panel/api/xray/update not saved")
		}
		before := env.dbState(t)
		c.api("POST", "xray/update", map[string]any{"xraySetting": "{broken"}).expectFail(400, "xraySetting")
		if env.dbState(t) != before {
			t.Fatal("a refused template changed the database")
		}
		// Without a session the routes answer 401 like the rest of the API.
		if r := env.client().do("POST", "panel/xray/", nil); r.Code != 401 {
			t.Fatalf("unauthenticated panel/xray/: %d", r.Code)
		}
	})
}
