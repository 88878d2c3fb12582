package ops

import (
	"bufio"
	"github.com/mhsanaei/3x-ui/v2/cluster"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/load"
	"github.com/shirou/gopsutil/v4/mem"
	"github.com/shirou/gopsutil/v4/net"
)

// XrayStatusSource is the part of xrayrun.Runner the status page reads.
type XrayStatusSource interface {
	GetXrayState() (state string, errMsg string)
	GetXrayVersion() string
}

// Usage is a used/total pair in bytes.
type Usage struct {
	Current uint64 `json:"current"`
	Total   uint64 `json:"total"`
}

// ServerStatus is what server/status returns (3x-ui's field names).
type ServerStatus struct {
	T           time.Time `json:"t"`
	Cpu         float64   `json:"cpu"`
	CpuCores    int       `json:"cpuCores"`
	LogicalPro  int       `json:"logicalPro"`
	CpuSpeedMhz float64   `json:"cpuSpeedMhz"`
	Mem         Usage     `json:"mem"`
	Swap        Usage     `json:"swap"`
	Disk        Usage     `json:"disk"`
	Xray        struct {
		State    string `json:"state"`
		ErrorMsg string `json:"errorMsg"`
		Version  string `json:"version"`
	} `json:"xray"`
	Uptime   uint64    `json:"uptime"`
	Loads    []float64 `json:"loads"`
	TcpCount int       `json:"tcpCount"`
	UdpCount int       `json:"udpCount"`
	NetIO    struct {
		Up   uint64 `json:"up"`   // bytes/s sent
		Down uint64 `json:"down"` // bytes/s received
	} `json:"netIO"`
	NetTraffic struct {
		Sent uint64 `json:"sent"`
		Recv uint64 `json:"recv"`
	} `json:"netTraffic"`
	AppStats struct {
		Threads uint32 `json:"threads"`
		Mem     uint64 `json:"mem"`
		Uptime  uint64 `json:"uptime"`
	} `json:"appStats"`
	NodeRole          string `json:"nodeRole"`
	DefaultCredential bool   `json:"defaultCredential"`
}

// Status reports host and Xray status. Rates (CPU, network) are
// measured between consecutive calls, so no background sampler is needed.
type Status struct {
	Xray XrayStatusSource

	db   *database.Handle // for the default-credential warning
	node *cluster.Node    // the role the status reports

	mu       sync.Mutex
	started  time.Time
	lastNet  net.IOCountersStat
	lastAt   time.Time
	cpuTimes *cpu.TimesStat
}

// NewStatus reads Xray state from xraySvc (may be nil), the
// credentials from db and the role from node.
func NewStatus(xraySvc XrayStatusSource, db *database.Handle, node *cluster.Node) *Status {
	return &Status{Xray: xraySvc, db: db, node: node, started: time.Now()}
}

// GetStatus samples the host. A metric that cannot be read stays zero:
// status must work on any host, containers included.
func (s *Status) GetStatus() *ServerStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	st := &ServerStatus{T: now}
	st.Cpu = s.cpuPercent()
	st.CpuCores, _ = cpu.Counts(false)
	st.LogicalPro = runtime.NumCPU()
	if infos, err := cpu.Info(); err == nil && len(infos) > 0 {
		st.CpuSpeedMhz = infos[0].Mhz
	}
	if vm, err := mem.VirtualMemory(); err == nil {
		st.Mem = Usage{Current: vm.Used, Total: vm.Total}
	}
	if sw, err := mem.SwapMemory(); err == nil {
		st.Swap = Usage{Current: sw.Used, Total: sw.Total}
	}
	if du, err := disk.Usage("/"); err == nil {
		st.Disk = Usage{Current: du.Used, Total: du.Total}
	}
	st.Uptime, _ = host.Uptime()
	if avg, err := load.Avg(); err == nil {
		st.Loads = []float64{avg.Load1, avg.Load5, avg.Load15}
	}
	st.TcpCount = countSockets("/proc/net/tcp", "/proc/net/tcp6")
	st.UdpCount = countSockets("/proc/net/udp", "/proc/net/udp6")
	if io, err := net.IOCounters(false); err == nil && len(io) > 0 {
		cur := io[0]
		st.NetTraffic.Sent, st.NetTraffic.Recv = cur.BytesSent, cur.BytesRecv
		if !s.lastAt.IsZero() {
			if dt := now.Sub(s.lastAt).Seconds(); dt > 0 {
				st.NetIO.Up = uint64(float64(sub(cur.BytesSent, s.lastNet.BytesSent)) / dt)
				st.NetIO.Down = uint64(float64(sub(cur.BytesRecv, s.lastNet.BytesRecv)) / dt)
			}
		}
		s.lastNet, s.lastAt = cur, now
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st.AppStats.Mem = ms.Sys
	st.AppStats.Threads = uint32(runtime.NumGoroutine())
	st.AppStats.Uptime = uint64(now.Sub(s.started).Seconds())
	if s.Xray != nil {
		st.Xray.State, st.Xray.ErrorMsg = s.Xray.GetXrayState()
		st.Xray.Version = s.Xray.GetXrayVersion()
	}
	st.NodeRole = string(s.node.Config().Role)
	if conn := s.db.Current(); conn != nil {
		st.DefaultCredential, _ = database.HasDefaultCredential(conn)
	}
	return st
}

// cpuPercent is the busy share of all CPUs since the previous call.
func (s *Status) cpuPercent() float64 {
	times, err := cpu.Times(false)
	if err != nil || len(times) == 0 {
		return 0
	}
	cur := times[0]
	prev := s.cpuTimes
	s.cpuTimes = &cur
	if prev == nil {
		return 0
	}
	busy := func(t *cpu.TimesStat) (float64, float64) {
		total := t.User + t.System + t.Idle + t.Nice + t.Iowait + t.Irq + t.Softirq + t.Steal
		return total - t.Idle - t.Iowait, total
	}
	b1, t1 := busy(prev)
	b2, t2 := busy(&cur)
	if t2 <= t1 {
		return 0
	}
	p := (b2 - b1) / (t2 - t1) * 100
	if p < 0 {
		return 0
	}
	return p
}

func sub(a, b uint64) uint64 {
	if a < b {
		return 0 // counter reset
	}
	return a - b
}

// countSockets counts the entries of Linux /proc/net tables (0 elsewhere).
func countSockets(paths ...string) int {
	n := 0
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for first := true; sc.Scan(); first = false {
			if !first {
				n++
			}
		}
		f.Close()
	}
	return n
}
