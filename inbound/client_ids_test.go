package inbound

import (
	"strconv"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/errs/errstest"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
)

// TestClientIDUsedByAnotherInboundIs409 is issue 10 finding 9: a UUID that
// another inbound already uses is refused with 409 naming "id" on every
// write path (add/update inbound, add/update client), nothing stored.
func TestClientIDUsedByAnotherInboundIs409(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		s := New(db, nil)
		first := inboundtest.Client(model.VLESS, "first@x")
		svcAdd(t, s, inboundtest.Inbound(model.VLESS, 24001, first))
		other := svcAdd(t, s, inboundtest.Inbound(model.VMESS, 24002, inboundtest.Client(model.VMESS, "other@x")))
		before := testdb.DumpOf(t, db.Current())

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
		clients := svcClientsOf(t, db, other.Id)
		err = s.UpdateInboundClient(&model.Inbound{Id: other.Id, Settings: inboundtest.Settings(model.VMESS, dup)}, clients["other@x"].ID)
		errstest.Want(t, err, errs.KindConflict, "id")
		testdb.AssertUnchangedOf(t, db.Current(), before)

		// Many new clients at once take the full-scan path.
		many := make([]map[string]any, likeScanLimit+5)
		for i := range many {
			many[i] = inboundtest.Client(model.VMESS, "m"+strconv.Itoa(i)+"@x")
		}
		many[len(many)-1]["id"] = first["id"]
		err = s.AddInboundClient(&model.Inbound{Id: other.Id, Settings: inboundtest.Settings(model.VMESS, many...)})
		errstest.Want(t, err, errs.KindConflict, "id")
		testdb.AssertUnchangedOf(t, db.Current(), before)
		many[len(many)-1]["id"] = inboundtest.UUID()
		if err := s.AddInboundClient(&model.Inbound{Id: other.Id, Settings: inboundtest.Settings(model.VMESS, many...)}); err != nil {
			t.Fatalf("fresh ids refused: %v", err)
		}
	})
}

// TestClientIDCacheFollowsEveryWriter: the in-memory id cache of one
// service follows its own client writes (add, id change, delete) and is
// rebuilt after a write by anyone else, so a duplicate id is always
// refused and a freed one always accepted.
func TestClientIDCacheFollowsEveryWriter(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		s, other := New(db, nil), New(db, nil)
		a := svcAdd(t, s, inboundtest.Inbound(model.VLESS, 24101, inboundtest.Client(model.VLESS, "a@c")))
		bIn := svcAdd(t, s, inboundtest.Inbound(model.VLESS, 24102, inboundtest.Client(model.VLESS, "b@c")))
		add := func(svc *Store, inboundID int, c map[string]any) error {
			return svc.AddInboundClient(&model.Inbound{Id: inboundID, Settings: inboundtest.Settings(model.VLESS, c)})
		}
		x := inboundtest.Client(model.VLESS, "x@c")
		if err := add(s, a.Id, x); err != nil { // builds the cache, then carries it
			t.Fatal(err)
		}
		dupX := inboundtest.Client(model.VLESS, "x2@c")
		dupX["id"] = x["id"]
		errstest.Want(t, add(s, bIn.Id, dupX), errs.KindConflict, "id")

		// Another writer's client: the version moved, the cache is rebuilt.
		y := inboundtest.Client(model.VLESS, "y@c")
		if err := add(other, bIn.Id, y); err != nil {
			t.Fatal(err)
		}
		dupY := inboundtest.Client(model.VLESS, "y2@c")
		dupY["id"] = y["id"]
		errstest.Want(t, add(s, a.Id, dupY), errs.KindConflict, "id")

		// An id change frees the old id and takes the new one.
		moved := inboundtest.Client(model.VLESS, "x@c")
		if err := s.UpdateInboundClient(&model.Inbound{Id: a.Id, Settings: inboundtest.Settings(model.VLESS, moved)}, x["id"].(string)); err != nil {
			t.Fatal(err)
		}
		if err := add(s, bIn.Id, dupX); err != nil {
			t.Fatalf("the old id of a changed client is still taken: %v", err)
		}
		dupMoved := inboundtest.Client(model.VLESS, "m2@c")
		dupMoved["id"] = moved["id"]
		errstest.Want(t, add(s, bIn.Id, dupMoved), errs.KindConflict, "id")

		// A delete frees its id.
		if err := s.DelInboundClient(a.Id, moved["id"].(string)); err != nil {
			t.Fatal(err)
		}
		if err := add(s, bIn.Id, dupMoved); err != nil {
			t.Fatalf("a deleted client's id is still taken: %v", err)
		}
	})
}

// TestManyNewClientsClashInTheSameInbound: a batch larger than
// textScanLimit is checked against an index of the inbound's clients:
// an email differing only in case, or an id already there, is refused
// naming the field and nothing is stored.
func TestManyNewClientsClashInTheSameInbound(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		s := New(db, nil)
		old := inboundtest.Client(model.VLESS, "old@x")
		in := svcAdd(t, s, inboundtest.Inbound(model.VLESS, 24101, old))
		before := testdb.DumpOf(t, db.Current())
		batch := func(last func(c map[string]any)) error {
			many := make([]map[string]any, textScanLimit+4)
			for i := range many {
				many[i] = inboundtest.Client(model.VLESS, "b"+strconv.Itoa(i)+"@x")
			}
			last(many[len(many)-1])
			return s.AddInboundClient(&model.Inbound{Id: in.Id, Settings: inboundtest.Settings(model.VLESS, many...)})
		}
		errstest.Want(t, batch(func(c map[string]any) { c["email"] = "OLD@x" }), errs.KindConflict, "email")
		errstest.Want(t, batch(func(c map[string]any) { c["id"] = strings.ToUpper(old["id"].(string)) }), errs.KindConflict, "id")
		testdb.AssertUnchangedOf(t, db.Current(), before)
		if err := batch(func(map[string]any) {}); err != nil {
			t.Fatalf("a clash-free batch refused: %v", err)
		}
		if n := len(svcClientsOf(t, db, in.Id)); n != textScanLimit+5 {
			t.Fatalf("%d clients stored, want %d", n, textScanLimit+5)
		}
	})
}
