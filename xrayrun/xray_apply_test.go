package xrayrun

import (
	"encoding/json"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/xray"
)

func TestPlanLiveOpsClassifiesChanges(t *testing.T) {
	base := func(clients string, tmplLog string) *xray.Config {
		return &xray.Config{LogConfig: json.RawMessage(tmplLog), InboundConfigs: []xray.InboundConfig{
			{Tag: "api", Port: 1, Protocol: "tunnel"},
			{Tag: "in", Port: 2, Protocol: "vless", Settings: json.RawMessage(`{"decryption":"none","clients":` + clients + `}`)},
		}}
	}
	cur := base(`[{"id":"a","email":"a@x"},{"id":"b","email":"b@x"}]`, `{}`)
	ops, ok := planLiveOps(cur, base(`[{"id":"a","email":"a@x"},{"id":"b2","email":"b@x"},{"id":"c","email":"c@x"}]`, `{}`))
	if !ok || len(ops) != 3 { // remove b, add b (new id), add c
		t.Fatalf("client diff: ok=%v ops=%d", ok, len(ops))
	}
	if _, ok := planLiveOps(cur, base(`[]`, `{"loglevel":"info"}`)); ok {
		t.Fatal("a template change must need a restart")
	}
	changedInbound := base(`[{"id":"a","email":"a@x"},{"id":"b","email":"b@x"}]`, `{}`)
	changedInbound.InboundConfigs[1].Settings = json.RawMessage(`{"decryption":"none","fallbacks":[{"dest":80}],"clients":[{"id":"a","email":"a@x"},{"id":"b","email":"b@x"}]}`)
	ops, ok = planLiveOps(cur, changedInbound)
	if !ok || len(ops) != 2 || ops[0].desc != "remove inbound in" || ops[1].desc != "add inbound in" {
		t.Fatalf("inbound settings change should replace the inbound: ok=%v %v", ok, len(ops))
	}
}
