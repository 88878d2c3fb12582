package inbound

import (
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/errs/errstest"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
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
		testdb.Open(t, b)
		s := &InboundService{}
		first := inboundtest.Client(model.VLESS, "first@x")
		svcAdd(t, s, inboundtest.Inbound(model.VLESS, 24001, first))
		other := svcAdd(t, s, inboundtest.Inbound(model.VMESS, 24002, inboundtest.Client(model.VMESS, "other@x")))
		before := testdb.Dump(t)

		dup := inboundtest.Client(model.VMESS, "dup@x")
		dup["id"] = strings.ToUpper(first["id"].(string)) // UUIDs compare case-insensitively
		_, err := s.AddInbound(inboundtest.Inbound(model.VMESS, 24003, dup))
		errstest.Want(t, err, errs.KindConflict, "id")
		err = s.AddInboundClient(&model.Inbound{Id: other.Id, Settings: inboundtest.Settings(model.VMESS, dup)})
		errstest.Want(t, err, errs.KindConflict, "id")
		upd := inboundtest.Inbound(model.VMESS, 24002, dup)
		upd.Id = other.Id
		_, err = s.UpdateInbound(upd)
		errstest.Want(t, err, errs.KindConflict, "id")
		clients := svcClientsOf(t, other.Id)
		err = s.UpdateInboundClient(&model.Inbound{Id: other.Id, Settings: inboundtest.Settings(model.VMESS, dup)}, clients["other@x"].ID)
		errstest.Want(t, err, errs.KindConflict, "id")
		testdb.AssertUnchanged(t, before)

		// Many new clients at once take the full-scan path.
		many := make([]map[string]any, likeScanLimit+5)
		for i := range many {
			many[i] = inboundtest.Client(model.VMESS, "m"+strconv.Itoa(i)+"@x")
		}
		many[len(many)-1]["id"] = first["id"]
		err = s.AddInboundClient(&model.Inbound{Id: other.Id, Settings: inboundtest.Settings(model.VMESS, many...)})
		errstest.Want(t, err, errs.KindConflict, "id")
		testdb.AssertUnchanged(t, before)
		many[len(many)-1]["id"] = inboundtest.UUID()
		if err := s.AddInboundClient(&model.Inbound{Id: other.Id, Settings: inboundtest.Settings(model.VMESS, many...)}); err != nil {
			t.Fatalf("fresh ids refused: %v", err)
		}
	})
}
