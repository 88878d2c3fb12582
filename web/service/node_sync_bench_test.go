package service

import (
	"fmt"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
	"github.com/mhsanaei/3x-ui/v2/settings"
)

// BenchmarkWorkerSyncBytes20k measures what one worker reads from MariaDB
// to follow a one-client change at 20,000 clients (20 inbounds x 1,000):
// the version, the change log entry and the client's traffic row, against
// a full snapshot read. Bytes are MariaDB's Bytes_sent for the worker's
// one connection.
//
//	go test -run '^$' -bench WorkerSyncBytes20k -benchtime 20x ./web/service/
func BenchmarkWorkerSyncBytes20k(b *testing.B) {
	db := testdb.Handle(b, dbtest.New(b, dbtest.MariaDB))
	sqlDB, err := db.Current().DB()
	if err != nil {
		b.Fatal(err)
	}
	sqlDB.SetMaxOpenConns(1) // one session, so its status counts our reads
	inbounds, sets := inbound.New(db, nil), settings.New(db, nil)
	var firstID int
	for i := 0; i < 20; i++ {
		clients := make([]map[string]any, 1000)
		for j := range clients {
			clients[j] = inboundtest.Client(model.VLESS, fmt.Sprintf("u%02d-%04d@bench", i, j))
		}
		in, err := inbounds.AddInbound(inboundtest.Inbound(model.VLESS, 32000+i, clients...))
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			firstID = in.Id
		}
	}
	sent := func() int64 {
		var row struct {
			VariableName string
			Value        int64
		}
		if err := db.Current().Raw("SHOW SESSION STATUS LIKE 'Bytes_sent'").Scan(&row).Error; err != nil {
			b.Fatal(err)
		}
		return row.Value
	}
	probe := sent()
	probe = sent() - probe // what one status query costs itself
	read := func(fn func()) int64 {
		before := sent()
		fn()
		return sent() - before - probe
	}
	var snap *SharedAccountsSnapshot
	start := time.Now()
	fullBytes := read(func() {
		version, err := database.GetSharedAccountsVersion(db.Current())
		if err == nil {
			snap, err = LoadSnapshotFromDB(db, sets, inbounds, version)
		}
		if err != nil {
			b.Fatal(err)
		}
	})
	fullTime := time.Since(start)
	var deltaBytes int64
	var deltaTime time.Duration
	n := 0
	for b.Loop() {
		n++
		b.StopTimer()
		req := &model.Inbound{Id: firstID, Settings: inboundtest.Settings(model.VLESS, inboundtest.Client(model.VLESS, fmt.Sprintf("added-%d@bench", n)))}
		if err := inbounds.AddInboundClient(req); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		deltaBytes += read(func() {
			version, err := database.GetSharedAccountsVersion(db.Current())
			if err != nil {
				b.Fatal(err)
			}
			next, ok, err := LoadSnapshotDelta(db.Current(), snap, version)
			if err != nil || !ok {
				b.Fatalf("delta: ok=%v err=%v", ok, err)
			}
			snap = next
		})
		deltaTime += time.Since(start)
	}
	b.ReportMetric(float64(fullBytes), "full-bytes")
	b.ReportMetric(float64(fullTime.Microseconds())/1000, "full-ms")
	b.ReportMetric(float64(deltaBytes)/float64(n), "delta-bytes")
	b.ReportMetric(float64(deltaTime.Microseconds())/1000/float64(n), "delta-ms")
	b.ReportMetric(100*float64(deltaBytes)/float64(n)/float64(fullBytes), "delta-%-of-full")
}
