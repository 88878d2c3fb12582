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
	"github.com/mhsanaei/3x-ui/v2/tests/clusterresult"
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

// The suite's results (tests/clusterresult).
type (
	latencies    = clusterresult.Latencies
	windowResult = clusterresult.Window
	suiteResult  = clusterresult.Suite
	simResult    = clusterresult.Sim
	scaleResult  = clusterresult.Scale
)

// flushPoints is scale's flush map in client order.
func flushPoints(s *scaleResult) (clients []int, ms []float64) {
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
