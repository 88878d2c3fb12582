// Package clusterresult holds what the cluster suite (tests/multinode)
// measures, as the JSON it writes for bench/clusterreport, so the suite
// and the report writer share one definition.
package clusterresult

// Latencies summarises propagation samples in milliseconds.
type Latencies struct {
	N     int     `json:"n"`
	P50ms float64 `json:"p50ms"`
	P95ms float64 `json:"p95ms"`
	MaxMs float64 `json:"maxMs"`
	// Samples are every latency, for the plots.
	Samples []float64 `json:"samples,omitempty"`
}

// Window is what one window measured, as totals and rates.
type Window struct {
	Seconds            float64 `json:"seconds"`
	Statements         int64   `json:"statements"`        // COM_QUERY + COM_STMT_EXECUTE through our proxies
	Prepares           int64   `json:"prepares"`          // COM_STMT_PREPARE through our proxies
	BytesToDB          int64   `json:"bytesToDB"`         // client -> MariaDB through our proxies
	BytesFromDB        int64   `json:"bytesFromDB"`       // MariaDB -> client through our proxies
	ServerQuestions    int64   `json:"serverQuestions"`   // global Questions delta (whole server)
	ServerBytes        int64   `json:"serverBytes"`       // global Bytes_sent + Bytes_received delta
	MasterCPUSeconds   float64 `json:"masterCpuSeconds"`  // master panel process
	ProcessCPUSeconds  float64 `json:"processCpuSeconds"` // this test process (simulated workers)
	StatementsPerSec   float64 `json:"statementsPerSec"`
	BytesPerSec        float64 `json:"bytesPerSec"`
	ServerQuestionsSec float64 `json:"serverQuestionsPerSec"`
	MasterCPUPercent   float64 `json:"masterCpuPercent"`
}

// Suite is what scenarios 1-4 measured.
type Suite struct {
	Workers          int       `json:"workers"`
	SyncSeconds      int       `json:"syncSeconds"`
	Pushed           Latencies `json:"pushed"`
	Blocked          Latencies `json:"blocked"`
	XrayRestarts     int       `json:"xrayRestarts"`
	Interrupted      int       `json:"interrupted"`
	StreamBytes      int64     `json:"streamBytes"`
	Kills            int       `json:"kills"`
	MovedBytes       int64     `json:"movedBytes"`
	CountedBytes     int64     `json:"countedBytes"`
	JournaledBytes   int64     `json:"journaledBytes"`
	MovedDiffPercent float64   `json:"movedDiffPercent"`
	ColdStartServed  bool      `json:"coldStartServed"`
	ColdStartSub     int       `json:"coldStartSubLinks"`
	Seconds          float64   `json:"seconds"`
}

// Sim is scenario 6 for one fleet size.
type Sim struct {
	Nodes          int     `json:"nodes"`
	Clients        int     `json:"clients"`
	SyncSeconds    int     `json:"syncSeconds"`
	FlushSeconds   int     `json:"flushSeconds"`
	StartupSeconds float64 `json:"startupSeconds"` // every worker's first full sync
	Idle           Window  `json:"idle"`
	Changes        Window  `json:"changes"`
	ChangeCount    int     `json:"changeCount"`
	// Per client change, above the idle rate.
	StatementsPerChange float64   `json:"statementsPerChange"`
	BytesPerChange      float64   `json:"bytesPerChange"`
	MasterCPUPerChange  float64   `json:"masterCpuMsPerChange"`
	Propagation         Latencies `json:"propagation"`
	Traffic             Window    `json:"traffic"`
	TrafficClients      int       `json:"trafficClientsPerNodePerFlush"`
	Restarts            int       `json:"restarts"`    // over all recorders, first starts excluded
	ApplyMs             float64   `json:"applyMsMean"` // recorder render + plan per apply
}

// Scale is scenario 5.
type Scale struct {
	Clients, Inbounds, Workers int
	SeedSeconds                float64 `json:"seedSeconds"`
	// Real worker processes.
	WorkerStartSeconds []float64 `json:"workerStartSeconds"` // x-ui run -> serving: full sync + Xray start
	SnapshotBytes      int64     `json:"snapshotBytes"`      // shared-cache.json
	Idle               Window
	StatementsPerMin   float64   `json:"statementsPerMin"`
	QuestionsPerMin    float64   `json:"serverQuestionsPerMin"`
	MasterRSS          int64     `json:"masterRss"`
	WorkerRSS          []int64   `json:"workerRss"`
	Pushed             Latencies `json:"pushed"`
	ChangeWindow       Window
	// One simulated worker (real sync code, recorder for Xray).
	IdleBytesPerNode  map[string]float64 `json:"idleBytesPerSecPerNode"`
	FullSyncMs        float64            `json:"fullSyncMs"`
	IncrementalSyncMs float64            `json:"incrementalSyncMs"`
	ApplyMs           float64            `json:"applyMs"` // render + plan of the last apply
	FlushMs           map[string]float64 `json:"flushMs"` // deltas in one batch -> FlushOnce time
}
