package app

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

// Xray matches config keys case-insensitively (Unicode folding, \u
// escapes decoded, the last of two keys wins), so a fallback to the API
// port spelled "Fallbacks", "fallback\u0073" or "fallbackſ" reached the
// API while the exposure rule read only "fallbacks" (docs/security.md,
// "Object keys"). Each spelling is refused on add and update: 400 naming
// the field, the database unchanged, the existing client still served.
func TestInboundKeySpellingsAreRefused(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		s := newServingEnv(t, b)
		cur, err := s.app.Settings.GetXrayConfigTemplate()
		if err != nil {
			t.Fatal(err)
		}
		apiPort := templateAPIPort(t, cur)
		body := func(port int, extra string) map[string]any {
			in := vlessInbound(port)
			in["settings"] = fmt.Sprintf(`{"clients":[{"id":%q,"email":"keys%d@x","enable":true}],"decryption":"none",%s}`, newTestUUID(), port, extra)
			return in
		}
		for name, tc := range map[string]struct{ extra, field string }{
			"Fallbacks and Dest": {fmt.Sprintf(`"Fallbacks":[{"Dest":%d}]`, apiPort), "settings.Fallbacks"},
			"escaped s":          {fmt.Sprintf(`"fallback\u0073":[{"dest":%d}]`, apiPort), "settings.fallbacks[0].dest"},
			"escaped dest":       {fmt.Sprintf(`"fallbacks":[{"d\u0065st":%d}]`, apiPort), "settings.fallbacks[0].dest"},
			"long s U+017F":      {fmt.Sprintf(`"fallbackſ":[{"dest":%d}]`, apiPort), "settings.fallbackſ"},
			"second dest":        {fmt.Sprintf(`"fallbacks":[{"dest":8080,"DEST":%d}]`, apiPort), "settings.fallbacks[0].DEST"},
			"disabled Clients":   {fmt.Sprintf(`"Clients":[{"id":%q,"email":"off@x","enable":false}]`, newTestUUID()), "settings.Clients"},
		} {
			t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
				s.refused(t, "POST", "inbounds/add", body(xraytest.FreePort(t), tc.extra), 400, tc.field)
				s.refused(t, "POST", "inbounds/update/"+s.inID, body(s.inPort, tc.extra), 400, tc.field)
			})
		}
		// A client whose email Xray would not see ("EMAIL"): the panel
		// would count traffic for an email Xray never reports.
		s.refused(t, "POST", "inbounds/addClient", map[string]any{"id": atoi(s.inID),
			"settings": fmt.Sprintf(`{"clients":[{"id":%q,"EMAIL":"upper@x","enable":true}]}`, newTestUUID())}, 400, "settings.clients[0].EMAIL")
		s.env().t = t
		if apiAnswersAt(fmt.Sprintf("127.0.0.1:%d", s.inPort)) {
			t.Fatal("Xray's API answers through the VLESS inbound")
		}
	})
}

// The template's keys are read as Xray reads them too: an API listener
// spelled "Listen" and a routing rule spelled "InboundTag" are refused on
// every template route, and two keys for one field anywhere are refused.
func TestTemplateKeySpellingsAreRefused(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		s := newServingEnv(t, b)
		cur, err := s.app.Settings.GetXrayConfigTemplate()
		if err != nil {
			t.Fatal(err)
		}
		mut := func(f func(tpl map[string]any)) map[string]any {
			var tpl map[string]any
			if err := json.Unmarshal([]byte(cur), &tpl); err != nil {
				t.Fatal(err)
			}
			f(tpl)
			return tpl
		}
		public := fmt.Sprintf("inbound-%d", s.inPort)
		for name, tc := range map[string]struct {
			tpl   map[string]any
			field string
		}{
			// 192.0.2.1 (TEST-NET-1) stands for a public address and is
			// never bound here, whatever happens.
			"api Listen": {mut(func(tpl map[string]any) {
				tpl["api"].(map[string]any)["Listen"] = fmt.Sprintf("192.0.2.1:%d", xraytest.FreePort(t))
			}), "api.listen"},
			"routing InboundTag": {mut(func(tpl map[string]any) {
				r := tpl["routing"].(map[string]any)
				r["rules"] = append([]any{map[string]any{"type": "field", "InboundTag": []string{public}, "outboundTag": "api"}}, r["rules"].([]any)...)
			}), "routing.rules[0]"},
			"two tags": {mut(func(tpl map[string]any) {
				tpl["api"].(map[string]any)["TAG"] = "api2"
			}), "api.tag"}, // the map is sent with sorted keys: "TAG" comes first
		} {
			t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
				s.refused(t, "POST", "xray/update", map[string]any{"xraySetting": tc.tpl}, 400, "xraySetting."+tc.field)
				s.refused(t, "POST", "setting/update", map[string]any{"xrayTemplateConfig": mustJSON(tc.tpl)}, 400, "xrayTemplateConfig."+tc.field)
			})
		}
	})
}

// A backup whose inbound Xray would read differently from the panel is
// refused whole: a "Fallbacks" to the API port, and two "dest" keys whose
// last one is the API port.
func TestImportKeySpellingsAreRefused(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		s := newServingEnv(t, b)
		apiPort := templateAPIPort(t, settings.DefaultXrayTemplate)
		for name, tc := range map[string]struct{ extra, want string }{
			"Fallbacks":   {fmt.Sprintf(`"Fallbacks":[{"dest":%d}]`, apiPort), "settings.Fallbacks"},
			"second dest": {fmt.Sprintf(`"fallbacks":[{"dest":8080,"DEST":%d}]`, apiPort), "settings.fallbacks[0].DEST"},
		} {
			t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
				in := backupInbound(xraytest.FreePort(t), `{"network":"tcp","security":"none"}`)
				in.Settings = fmt.Sprintf(`{"clients":[{"id":%q,"email":"imp@x","enable":true}],"decryption":"none",%s}`, newTestUUID(), tc.extra)
				before := s.dbState(t)
				s.env().t = t
				up := multipartBody(t, "db", backupFile(t, []model.Inbound{in}, nil))
				s.c.apiRaw("POST", "server/importDB", up.body, up.ctype).expectFail(400, tc.want)
				if s.dbState(t) != before {
					t.Fatal("refused import changed the database")
				}
				s.mustMoveBytes(t)
			})
		}
	})
}

// A row stored before the rule read keys as Xray does (or carried over
// from 3x-ui) is run without the fallback Xray would read under
// "Fallbacks": the API does not answer through the inbound, the client
// is still served.
func TestStoredFallbackKeySpellingRunsNeutralized(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		s := newServingEnv(t, b)
		cur, err := s.app.Settings.GetXrayConfigTemplate()
		if err != nil {
			t.Fatal(err)
		}
		var row model.Inbound
		if err := s.db.Current().First(&row, s.inID).Error; err != nil {
			t.Fatal(err)
		}
		var st map[string]any
		if err := json.Unmarshal([]byte(row.Settings), &st); err != nil {
			t.Fatal(err)
		}
		st["Fallbacks"] = []any{map[string]any{"dest": templateAPIPort(t, cur)}}
		// Written as an old row would be: no API check.
		if err := s.db.Current().Model(&model.Inbound{}).Where("id = ?", row.Id).Update("settings", mustJSON(st)).Error; err != nil {
			t.Fatal(err)
		}
		if err := s.app.Xray.RestartXray(true); err != nil {
			t.Fatal(err)
		}
		s.mustMoveBytes(t)
		if apiAnswersAt(fmt.Sprintf("127.0.0.1:%d", s.inPort)) {
			t.Fatal("Xray's API answers through the VLESS inbound: the stored \"Fallbacks\" runs")
		}
		for _, in := range s.app.Xray.Process().Config().InboundConfigs {
			var st struct { // read as Xray reads it: any letter case
				Fallbacks []json.RawMessage `json:"fallbacks"`
			}
			if err := json.Unmarshal(in.Settings, &st); err != nil || len(st.Fallbacks) > 0 {
				t.Fatalf("Xray runs inbound %s with a fallback: %s", in.Tag, in.Settings)
			}
		}
	})
}

// apiAnswersAt: Xray's gRPC API (no authentication) answers at addr.
func apiAnswersAt(addr string) bool {
	c := xray.NewAPIClient(addr)
	defer c.Close()
	_, _, err := c.QueryTraffic(false)
	return err == nil
}
