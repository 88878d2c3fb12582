package multinode

import (
	"fmt"
	"github.com/mhsanaei/3x-ui/v2/tests/clusterresult"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/<pid>/stat
// (100 on every Linux the suite runs on).
const clockTicks = 100

// procCPU is the CPU time a process used so far (0 when it is gone).
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	rest := string(data)
	if i := strings.LastIndexByte(rest, ')'); i >= 0 {
		rest = rest[i+1:]
	}
	fields := strings.Fields(rest)
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// procRSS is a process's resident memory in bytes (0 when it is gone).
func procRSS(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// selfCPU is this test process's CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serverStatus reads MariaDB's global counters: every client of the
// server counts, not only this cluster (the proxies count ours alone).
type serverStatus struct{ Questions, BytesSent, BytesReceived int64 }

func readServerStatus(t testing.TB, conn *gorm.DB) serverStatus {
	t.Helper()
	var rows []struct {
		VariableName string `gorm:"column:Variable_name"`
		Value        int64  `gorm:"column:Value"`
	}
	if err := conn.Raw("SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions','Bytes_sent','Bytes_received')").Scan(&rows).Error; err != nil {
		t.Fatalf("SHOW GLOBAL STATUS: %v", err)
	}
	var s serverStatus
	for _, r := range rows {
		switch r.VariableName {
		case "Questions":
			s.Questions = r.Value
		case "Bytes_sent":
			s.BytesSent = r.Value
		case "Bytes_received":
			s.BytesReceived = r.Value
		}
	}
	return s
}

// window measures one stretch of a run: wire counters of a set of
// proxies, the server's global counters, and CPU of the master panel and
// of this process.
type window struct {
	t       testing.TB
	conn    *gorm.DB
	proxies []*dbProxy
	pid     int // the master panel

	start      time.Time
	wire       wireSample
	server     serverStatus
	masterCPU  time.Duration
	processCPU time.Duration
}

func openWindow(t testing.TB, conn *gorm.DB, masterPid int, proxies ...*dbProxy) *window {
	w := &window{t: t, conn: conn, proxies: proxies, pid: masterPid}
	w.server = readServerStatus(t, conn)
	w.wire = w.wireNow()
	w.masterCPU, w.processCPU = procCPU(masterPid), selfCPU()
	w.start = time.Now()
	return w
}

func (w *window) wireNow() wireSample {
	var s wireSample
	for _, p := range w.proxies {
		s = s.plus(p.sample())
	}
	return s
}

func (w *window) close() windowResult {
	wire := w.wireNow().minus(w.wire)
	server := readServerStatus(w.t, w.conn)
	secs := time.Since(w.start).Seconds()
	r := windowResult{
		Seconds: secs, Statements: wire.Statements(), Prepares: wire.Prepare,
		BytesToDB: wire.Up, BytesFromDB: wire.Down,
		ServerQuestions:   server.Questions - w.server.Questions,
		ServerBytes:       server.BytesSent + server.BytesReceived - w.server.BytesSent - w.server.BytesReceived,
		MasterCPUSeconds:  (procCPU(w.pid) - w.masterCPU).Seconds(),
		ProcessCPUSeconds: (selfCPU() - w.processCPU).Seconds(),
	}
	r.StatementsPerSec = float64(r.Statements) / secs
	r.BytesPerSec = float64(r.BytesToDB+r.BytesFromDB) / secs
	r.ServerQuestionsSec = float64(r.ServerQuestions) / secs
	r.MasterCPUPercent = 100 * r.MasterCPUSeconds / secs
	return r
}

func summarize(d []time.Duration, keepSamples bool) latencies {
	if len(d) == 0 {
		return latencies{}
	}
	ms := make([]float64, len(d))
	for i, v := range d {
		ms[i] = float64(v.Microseconds()) / 1000
	}
	sort.Float64s(ms)
	l := latencies{N: len(ms), P50ms: ms[len(ms)/2], P95ms: ms[(len(ms)*95)/100], MaxMs: ms[len(ms)-1]}
	if (len(ms)*95)/100 >= len(ms) {
		l.P95ms = ms[len(ms)-1]
	}
	if keepSamples {
		l.Samples = ms
	}
	return l
}

// The results the suite writes (see package clusterresult).
type (
	latencies    = clusterresult.Latencies
	windowResult = clusterresult.Window
	suiteResult  = clusterresult.Suite
	simResult    = clusterresult.Sim
	scaleResult  = clusterresult.Scale
)
