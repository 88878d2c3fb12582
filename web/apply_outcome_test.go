package web

import (
	"path/filepath"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
)

// Defect 5: a write whose live apply fails is stored and answered as a
// success, with applied=false and the reason, instead of a plain success.
func TestWriteWhoseApplyFailsAnswersAppliedFalse(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		dbtest.UseBackend(t, b)
		bin := t.TempDir()
		t.Setenv("XUI_BIN_FOLDER", bin)
		if err := database.InitDBWithPath(b.SQLitePath); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { database.CloseDB() })
		// No Xray binary at this path: every apply (a start) fails.
		app, err := NewApp(config.PanelConfig{BasePath: testBase, SessionMaxAge: 60}, AppOptions{
			XrayBinary:     filepath.Join(bin, "missing-xray"),
			XrayConfigPath: filepath.Join(bin, "config.json"),
		})
		if err != nil {
			t.Fatal(err)
		}
		env := &testEnv{t: t, app: app, h: app.Handler(), db: app.DB}
		c := env.loggedIn()
		r := c.api("POST", "inbounds/add", vlessInbound(31555, vlessClient("applied@x"))).expectOK()
		if r.Msg.Applied == nil || *r.Msg.Applied || r.Msg.Reason == "" {
			t.Fatalf("want applied=false with a reason, got %s", r.Raw)
		}
		var n int64
		if err := database.GetDB().Model(&model.Inbound{}).Where("port = ?", 31555).Count(&n).Error; err != nil || n != 1 {
			t.Fatalf("the change must be stored: %d rows, %v", n, err)
		}
		// A read carries no apply state.
		if r := c.api("GET", "inbounds/list", nil).expectOK(); r.Msg.Applied != nil {
			t.Fatalf("read reported applied: %s", r.Raw)
		}
	})
}
