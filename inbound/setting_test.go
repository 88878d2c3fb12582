package inbound

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/sharedwrite"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/errs/errstest"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/tests/testbin"
)

func xrayTestBinary(t *testing.T) string { return testbin.Xray(t) }

func TestDefaultXrayTemplatePassesXrayTest(t *testing.T) {
	t.Parallel()
	for _, banned := range []string{"geoip:", "geosite:"} {
		if strings.Contains(settings.DefaultXrayTemplate, banned) {
			t.Fatalf("default template uses %s", banned)
		}
	}
	var doc struct {
		API struct {
			Tag      string   `json:"tag"`
			Services []string `json:"services"`
		} `json:"api"`
		Inbounds []struct {
			Tag      string `json:"tag"`
			Listen   string `json:"listen"`
			Port     int    `json:"port"`
			Protocol string `json:"protocol"`
		} `json:"inbounds"`
		Stats *struct{} `json:"stats"`
	}
	if err := json.Unmarshal([]byte(settings.DefaultXrayTemplate), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.API.Tag != "api" || len(doc.API.Services) != 4 || doc.Stats == nil ||
		len(doc.Inbounds) != 1 || doc.Inbounds[0].Port != 62789 || doc.Inbounds[0].Listen != "127.0.0.1" || doc.Inbounds[0].Protocol != "tunnel" {
		t.Fatalf("template shape: %+v", doc)
	}
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte(settings.DefaultXrayTemplate), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(xrayTestBinary(t), "run", "-test", "-c", path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Configuration OK") {
		t.Fatalf("xray -test failed: %v\n%s", err, out)
	}
}

func TestSettingsDefaultsTypedAccessAndVersion(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		changes := 0
		s := settings.NewNotifying(db, nil, sharedwrite.NotifierFunc(func(sharedwrite.Change) error { changes++; return nil }), nil)
		all, err := s.GetAllSettings()
		if err != nil || !reflect.DeepEqual(all, settings.SettingDefaults()) {
			t.Fatalf("fresh settings differ from defaults: %v", err)
		}
		if v, _ := s.GetSubPort(); v != 2096 {
			t.Fatalf("subPort %d", v)
		}
		if v, _ := s.GetSubEncrypt(); !v {
			t.Fatal("subEncrypt default")
		}
		if v, _ := s.GetRemarkModel(); v != "-ieo" {
			t.Fatalf("remarkModel %q", v)
		}
		if tpl, _ := s.GetXrayConfigTemplate(); tpl != settings.DefaultXrayTemplate {
			t.Fatal("template default")
		}

		v0 := testdb.VersionOf(t, db)
		if err := s.SetInt("subPort", 2097); err != nil {
			t.Fatal(err)
		}
		if err := s.SetBool("subEnable", true); err != nil {
			t.Fatal(err)
		}
		if err := s.SetString("subPath", "feed"); err != nil {
			t.Fatal(err)
		}
		if err := s.UpdateSettings(map[string]any{"pageSize": 100.0, "subTitle": "My VPN", "subEncrypt": "false"}); err != nil {
			t.Fatal(err)
		}
		if testdb.VersionOf(t, db) != v0+4 || changes != 4 {
			t.Fatalf("version %d->%d changes %d: one bump per write", v0, testdb.VersionOf(t, db), changes)
		}
		all, _ = s.GetAllSettings()
		if all["subPort"] != 2097 || all["subEnable"] != true || all["subPath"] != "/feed/" || all["pageSize"] != 100 || all["subEncrypt"] != false {
			t.Fatalf("stored settings: %v", all)
		}
		loc, err := s.GetTimeLocation()
		if err != nil || loc == nil {
			t.Fatalf("time location: %v", err)
		}

		// An inbound may not take the subscription port while it is enabled.
		_, err = (New(db, nil)).AddInbound(inboundtest.Inbound(model.VLESS, 2097))
		errstest.Want(t, err, errs.KindConflict, "port")

		if err := s.ResetSettings(); err != nil {
			t.Fatal(err)
		}
		if all, _ = s.GetAllSettings(); !reflect.DeepEqual(all, settings.SettingDefaults()) {
			t.Fatalf("reset left values: %v", all)
		}
	})
}

func TestUpdateSettingsRejectsBadInputAtomically(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		s := settings.New(db, nil)
		svcAdd(t, New(db, nil), inboundtest.Inbound(model.VLESS, 32000))
		if err := s.SetString("subTitle", "kept"); err != nil {
			t.Fatal(err)
		}
		before, v0 := testdb.DumpOf(t, db.Current()), testdb.VersionOf(t, db)
		cases := []struct {
			values map[string]any
			kind   errs.ErrorKind
			field  string
		}{
			{map[string]any{"subTitle": "new", "noSuchKey": 1}, errs.KindInvalid, "noSuchKey"},
			{map[string]any{"subTitle": "new", "subPort": 70000}, errs.KindInvalid, "subPort"},
			{map[string]any{"subPort": "abc"}, errs.KindInvalid, "subPort"},
			{map[string]any{"subPort": 32000}, errs.KindConflict, "subPort"},
			{map[string]any{"subPort": 2053}, errs.KindConflict, "subPort"},
			{map[string]any{"subEnable": "maybe"}, errs.KindInvalid, "subEnable"},
			{map[string]any{"subPath": "/a b/"}, errs.KindInvalid, "subPath"},
			{map[string]any{"subPath": "/"}, errs.KindInvalid, "subPath"},
			{map[string]any{"subTitle": 5}, errs.KindInvalid, "subTitle"},
			{map[string]any{"timeLocation": "Mars/Olympus"}, errs.KindInvalid, "timeLocation"},
			{map[string]any{"remarkModel": "-xx"}, errs.KindInvalid, "remarkModel"},
			{map[string]any{"remarkModel": "-ii"}, errs.KindInvalid, "remarkModel"},
			{map[string]any{"ipLimitWindow": 0}, errs.KindInvalid, "ipLimitWindow"},
			{map[string]any{"pageSize": 1.5}, errs.KindInvalid, "pageSize"},
			{map[string]any{"xrayTemplateConfig": "not json"}, errs.KindInvalid, "xrayTemplateConfig"},
			{map[string]any{"xrayTemplateConfig": `{"inbounds":[]}`}, errs.KindInvalid, "xrayTemplateConfig"},
			{map[string]any{"xrayTemplateConfig": `{"inbounds":{},"outbounds":[{}]}`}, errs.KindInvalid, "xrayTemplateConfig"},
			{map[string]any{"xrayTemplateConfig": `[1,2]`}, errs.KindInvalid, "xrayTemplateConfig"},
		}
		for _, c := range cases {
			errstest.Want(t, s.UpdateSettings(c.values), c.kind, c.field)
		}
		errstest.Want(t, s.SetXrayConfigTemplate(`{"outbounds":[]}`), errs.KindInvalid, "xrayTemplateConfig")
		testdb.AssertUnchangedOf(t, db.Current(), before)
		if testdb.VersionOf(t, db) != v0 {
			t.Fatal("rejected settings bumped the version")
		}
		if _, err := s.GetString("noSuchKey"); errs.KindOf(err) != errs.KindInvalid {
			t.Fatalf("unknown key read: %v", err)
		}

		// A custom template moves the reserved API port.
		custom := strings.Replace(settings.DefaultXrayTemplate, "62789", "10085", 1)
		if err := s.SetXrayConfigTemplate(custom); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.GetXrayConfigTemplate(); got != strings.TrimSpace(custom) {
			t.Fatal("template not stored")
		}
		_, err := (New(db, nil)).AddInbound(inboundtest.Inbound(model.VLESS, 10085))
		errstest.Want(t, err, errs.KindConflict, "port")
		svcAdd(t, New(db, nil), inboundtest.Inbound(model.VLESS, 62789))
	})
}
