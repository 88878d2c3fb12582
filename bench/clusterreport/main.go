// Command clusterreport turns one `make bench-cluster` run (the JSON files
// tests/multinode writes into XUI_CLUSTER_REPORT_DIR, plus meta.txt from
// scripts/bench-cluster.sh) into docs/cluster-report.md and the plots in
// docs/img/. It is its own module so the plotting library stays out of
// the panel's dependencies.
//
//	go run . -in /tmp/run -out ../../docs
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

func main() {
	in := flag.String("in", "", "folder with the run's JSON files and meta.txt")
	out := flag.String("out", "docs", "docs folder: cluster-report.md and img/ are written there")
	flag.Parse()
	if *in == "" {
		log.Fatal("-in is required")
	}
	run := loadRun(*in)
	if err := os.MkdirAll(filepath.Join(*out, "img"), 0o755); err != nil {
		log.Fatal(err)
	}
	plots := writePlots(run, filepath.Join(*out, "img"))
	report := render(run, plots)
	if err := os.WriteFile(filepath.Join(*out, "cluster-report.md"), []byte(report), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("wrote %s and %d plots\n", filepath.Join(*out, "cluster-report.md"), len(plots))
}

// run is everything one bench-cluster run produced; a missing part stays
// nil and its section says it was not measured.
type run struct {
	meta  map[string]string
	suite *suiteResult
	sim   []simResult
	scale *scaleResult
}

func loadRun(dir string) run {
	r := run{meta: map[string]string{}}
	if f, err := os.Open(filepath.Join(dir, "meta.txt")); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ": "); ok {
				r.meta[k] = v
			}
		}
		f.Close()
	}
	read := func(name string, v any) bool {
		data, err := os.ReadFile(filepath.Join(dir, name+".json"))
		if err != nil {
			return false
		}
		if err := json.Unmarshal(data, v); err != nil {
			log.Fatalf("%s.json: %v", name, err)
		}
		return true
	}
	var suite suiteResult
	if read("suite", &suite) {
		r.suite = &suite
	}
	read("simulation", &r.sim)
	var scale scaleResult
	if read("scale", &scale) {
		r.scale = &scale
	}
	return r
}

// The shapes below mirror tests/multinode's results (see their field docs).
type latencies struct {
	N       int       `json:"n"`
	P50ms   float64   `json:"p50ms"`
	P95ms   float64   `json:"p95ms"`
	MaxMs   float64   `json:"maxMs"`
	Samples []float64 `json:"samples"`
}

type windowResult struct {
	Seconds            float64 `json:"seconds"`
	Statements         int64   `json:"statements"`
	Prepares           int64   `json:"prepares"`
	BytesToDB          int64   `json:"bytesToDB"`
	BytesFromDB        int64   `json:"bytesFromDB"`
	ServerQuestions    int64   `json:"serverQuestions"`
	ServerBytes        int64   `json:"serverBytes"`
	MasterCPUSeconds   float64 `json:"masterCpuSeconds"`
	ProcessCPUSeconds  float64 `json:"processCpuSeconds"`
	StatementsPerSec   float64 `json:"statementsPerSec"`
	BytesPerSec        float64 `json:"bytesPerSec"`
	ServerQuestionsSec float64 `json:"serverQuestionsPerSec"`
	MasterCPUPercent   float64 `json:"masterCpuPercent"`
}

type suiteResult struct {
	Workers          int       `json:"workers"`
	SyncSeconds      int       `json:"syncSeconds"`
	Pushed           latencies `json:"pushed"`
	Blocked          latencies `json:"blocked"`
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

type simResult struct {
	Nodes               int          `json:"nodes"`
	Clients             int          `json:"clients"`
	SyncSeconds         int          `json:"syncSeconds"`
	FlushSeconds        int          `json:"flushSeconds"`
	StartupSeconds      float64      `json:"startupSeconds"`
	Idle                windowResult `json:"idle"`
	Changes             windowResult `json:"changes"`
	ChangeCount         int          `json:"changeCount"`
	StatementsPerChange float64      `json:"statementsPerChange"`
	BytesPerChange      float64      `json:"bytesPerChange"`
	MasterCPUPerChange  float64      `json:"masterCpuMsPerChange"`
	Propagation         latencies    `json:"propagation"`
	Traffic             windowResult `json:"traffic"`
	TrafficClients      int          `json:"trafficClientsPerNodePerFlush"`
	Restarts            int          `json:"restarts"`
	ApplyMs             float64      `json:"applyMsMean"`
}

type scaleResult struct {
	Clients, Inbounds, Workers int
	SeedSeconds                float64   `json:"seedSeconds"`
	WorkerStartSeconds         []float64 `json:"workerStartSeconds"`
	SnapshotBytes              int64     `json:"snapshotBytes"`
	Idle                       windowResult
	StatementsPerMin           float64   `json:"statementsPerMin"`
	QuestionsPerMin            float64   `json:"serverQuestionsPerMin"`
	MasterRSS                  int64     `json:"masterRss"`
	WorkerRSS                  []int64   `json:"workerRss"`
	Pushed                     latencies `json:"pushed"`
	ChangeWindow               windowResult
	IdleBytesPerNode           map[string]float64 `json:"idleBytesPerSecPerNode"`
	FullSyncMs                 float64            `json:"fullSyncMs"`
	IncrementalSyncMs          float64            `json:"incrementalSyncMs"`
	ApplyMs                    float64            `json:"applyMs"`
	FlushMs                    map[string]float64 `json:"flushMs"`
}

// flushPoints is scale's flush map in client order.
func (s *scaleResult) flushPoints() (clients []int, ms []float64) {
	for k := range s.FlushMs {
		n, err := strconv.Atoi(k)
		if err == nil {
			clients = append(clients, n)
		}
	}
	sort.Ints(clients)
	for _, n := range clients {
		ms = append(ms, s.FlushMs[strconv.Itoa(n)])
	}
	return clients, ms
}
