package multinode

import (
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	mysqldriver "github.com/go-sql-driver/mysql"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
)

// owned lists what this test process created outside itself: network
// namespaces and their veths, node folders (every x-ui and Xray process
// of a node names its folder on its command line or in its environment),
// and MariaDB databases. Tests remove them in their cleanups; TestMain
// checks afterwards that nothing is left, and an interrupt (Ctrl-C,
// SIGTERM) removes them before the process exits.
var owned = struct {
	sync.Mutex
	namespaces map[string]string // namespace -> host-side veth
	folders    map[string]bool
	databases  map[string]bool
}{namespaces: map[string]string{}, folders: map[string]bool{}, databases: map[string]bool{}}

func ownNamespace(ns, veth string) {
	owned.Lock()
	defer owned.Unlock()
	owned.namespaces[ns] = veth
}

func ownFolder(dir string) {
	owned.Lock()
	defer owned.Unlock()
	owned.folders[dir] = true
}

func ownDatabase(name string) {
	owned.Lock()
	defer owned.Unlock()
	owned.databases[name] = true
}

func TestMain(m *testing.M) {
	interrupted := make(chan os.Signal, 1)
	signal.Notify(interrupted, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-interrupted
		fmt.Fprintf(os.Stderr, "multinode: %v: removing what the tests created\n", sig)
		reap()
		os.Exit(130)
	}()
	code := m.Run()
	if left := leftovers(); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "multinode: the tests left behind:\n  %s\n", strings.Join(left, "\n  "))
		reap()
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// ownedProcesses finds live processes whose command line or environment
// names one of our node folders.
func ownedProcesses() map[int]string {
	owned.Lock()
	folders := make([]string, 0, len(owned.folders))
	for f := range owned.folders {
		folders = append(folders, f)
	}
	owned.Unlock()
	out := map[int]string{}
	if len(folders) == 0 {
		return out
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil || strings.Contains(string(stat), ") Z ") {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		environ, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		for _, f := range folders {
			if strings.Contains(string(cmdline), f) || strings.Contains(string(environ), f) {
				out[pid] = strings.ReplaceAll(strings.TrimRight(string(cmdline), "\x00"), "\x00", " ")
				break
			}
		}
	}
	return out
}

func adminDB() (*sql.DB, error) {
	cfg := dbtest.MariaDBServer()
	c := mysqldriver.NewConfig()
	c.User, c.Passwd, c.Net, c.Addr = cfg.User, cfg.Password, "tcp", cfg.Host+":"+strconv.Itoa(cfg.Port)
	return sql.Open("mysql", c.FormatDSN())
}

// leftovers names every owned namespace, process and database still there.
func leftovers() []string {
	var left []string
	out, _ := exec.Command("ip", "netns", "list").Output()
	present := string(out)
	owned.Lock()
	for ns := range owned.namespaces {
		if strings.Contains(present, ns) {
			left = append(left, "network namespace "+ns)
		}
	}
	databases := make([]string, 0, len(owned.databases))
	for name := range owned.databases {
		databases = append(databases, name)
	}
	owned.Unlock()
	for pid, cmd := range ownedProcesses() {
		left = append(left, fmt.Sprintf("process %d: %s", pid, cmd))
	}
	if len(databases) > 0 {
		if admin, err := adminDB(); err == nil {
			for _, name := range databases {
				var found string
				if admin.QueryRow("SELECT schema_name FROM information_schema.schemata WHERE schema_name = ?", name).Scan(&found) == nil {
					left = append(left, "database "+name)
				}
			}
			admin.Close()
		}
	}
	return left
}

// reap kills our processes, then removes our namespaces and databases.
func reap() {
	for pid := range ownedProcesses() {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	owned.Lock()
	defer owned.Unlock()
	for ns, veth := range owned.namespaces {
		_ = ipCmd("link", "del", veth)
		_ = ipCmd("netns", "del", ns)
	}
	if admin, err := adminDB(); err == nil {
		for name := range owned.databases {
			_, _ = admin.Exec("DROP DATABASE IF EXISTS `" + name + "`")
		}
		admin.Close()
	}
}
