package controller

import (
	"net/url"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
)

func TestBindFormNamesTheField(t *testing.T) {
	in := &model.Inbound{}
	err := bindForm(url.Values{"port": {"443"}, "enable": {"true"}, "remark": {"r"}, "total": {"-1"}}, in)
	if err != nil || in.Port != 443 || !in.Enable || in.Remark != "r" || in.Total != -1 {
		t.Fatalf("bind: %+v %v", in, err)
	}
	for field, value := range map[string]string{"port": "x", "enable": "maybe", "expiryTime": "1.5", "clientStats": "{"} {
		err := bindForm(url.Values{field: {value}}, &model.Inbound{})
		if errs.KindOf(err) != errs.KindInvalid || !strings.HasPrefix(err.Error(), field+":") {
			t.Fatalf("%s=%q: %v", field, value, err)
		}
	}
}

func TestDecodeJSONNamesTheField(t *testing.T) {
	cases := map[string]string{
		`{"port": "x"}`:       "port:",
		`{"settings": {}}`:    "settings:",
		`{"port": 1,`:         "body: malformed JSON",
		`[1]`:                 "body:",
		`{"enable": "true"}`:  "enable:",
		`{"total": 1.5}`:      "total:",
		`{"remark": 5}`:       "remark:",
		`{"clientStats": {}}`: "clientStats:",
	}
	for body, want := range cases {
		err := decodeJSON([]byte(body), &model.Inbound{})
		if errs.KindOf(err) != errs.KindInvalid || !strings.HasPrefix(err.Error(), want) {
			t.Fatalf("%s: got %v, want prefix %q", body, err, want)
		}
	}
}
