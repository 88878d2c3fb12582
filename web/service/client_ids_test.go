package service

import (
	"strconv"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
)

// TestClientIDUsedByAnotherInboundIs409 is issue 10 finding 9: a UUID that
// another inbound already uses is refused with 409 naming "id" on every
// write path (add/update inbound, add/update client), nothing stored.
func TestClientIDUsedByAnotherInboundIs409(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		svcOpenDB(t, b)
		s := &InboundService{}
		first := svcClient(model.VLESS, "first@x")
		svcAdd(t, s, svcInbound(model.VLESS, 24001, first))
		other := svcAdd(t, s, svcInbound(model.VMESS, 24002, svcClient(model.VMESS, "other@x")))
		before := svcDump(t)

		dup := svcClient(model.VMESS, "dup@x")
		dup["id"] = strings.ToUpper(first["id"].(string)) // UUIDs compare case-insensitively
		_, err := s.AddInbound(svcInbound(model.VMESS, 24003, dup))
		svcWantErr(t, err, KindConflict, "id")
		err = s.AddInboundClient(&model.Inbound{Id: other.Id, Settings: svcSettings(model.VMESS, dup)})
		svcWantErr(t, err, KindConflict, "id")
		upd := svcInbound(model.VMESS, 24002, dup)
		upd.Id = other.Id
		_, err = s.UpdateInbound(upd)
		svcWantErr(t, err, KindConflict, "id")
		clients := svcClientsOf(t, other.Id)
		err = s.UpdateInboundClient(&model.Inbound{Id: other.Id, Settings: svcSettings(model.VMESS, dup)}, clients["other@x"].ID)
		svcWantErr(t, err, KindConflict, "id")
		svcAssertUnchanged(t, before)

		// Many new clients at once take the full-scan path.
		many := make([]map[string]any, likeScanLimit+5)
		for i := range many {
			many[i] = svcClient(model.VMESS, "m"+strconv.Itoa(i)+"@x")
		}
		many[len(many)-1]["id"] = first["id"]
		err = s.AddInboundClient(&model.Inbound{Id: other.Id, Settings: svcSettings(model.VMESS, many...)})
		svcWantErr(t, err, KindConflict, "id")
		svcAssertUnchanged(t, before)
		many[len(many)-1]["id"] = svcUUID()
		if err := s.AddInboundClient(&model.Inbound{Id: other.Id, Settings: svcSettings(model.VMESS, many...)}); err != nil {
			t.Fatalf("fresh ids refused: %v", err)
		}
	})
}
