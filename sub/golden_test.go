package sub_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/sub/clash"
	"github.com/mhsanaei/3x-ui/v2/sub/links"
	"github.com/mhsanaei/3x-ui/v2/sub/profile"
	"github.com/mhsanaei/3x-ui/v2/sub/singbox"
	"github.com/mhsanaei/3x-ui/v2/sub/xrayjson"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

var goldenNow = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// renderAll gives the four formats for entries.
func renderAll(t *testing.T, entries []profile.Entry) map[string][]byte {
	t.Helper()
	js, err := xrayjson.Render(entries)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := clash.Render("", entries)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := singbox.Render(entries)
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{
		"links":        links.Body(links.Render(entries), false),
		"xray.json":    js,
		"clash.yaml":   cl,
		"singbox.json": sb,
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if !bytes.HasSuffix(got, []byte("\n")) {
		got = append(got, '\n')
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./sub -run Golden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s", path, got)
	}
}

// TestGoldenMatrix renders every protocol x transport x security the panel
// accepts, in all four formats, and compares with testdata/golden.
func TestGoldenMatrix(t *testing.T) {
	t.Parallel()
	combos := allCombos()
	if len(combos) < 60 {
		t.Fatalf("only %d combinations", len(combos))
	}
	for i, c := range combos {
		t.Run(c.Name(), func(t *testing.T) {
			in := inboundFor(i+1, 20000+i, c, "", "")
			sub := profile.Collect([]*model.Inbound{in}, nil, testSubID, profile.Options{Host: "sub.example.com", RemarkModel: "-ieo", Now: goldenNow})
			if sub == nil || len(sub.Entries) != 1 {
				t.Fatalf("want one entry, got %+v", sub)
			}
			out := renderAll(t, sub.Entries)
			for ext, body := range out {
				if bytes.Contains(body, []byte("other-")) || bytes.Contains(body, []byte("someoneelse")) {
					t.Fatalf("%s leaks another user's client:\n%s", ext, body)
				}
				checkGolden(t, c.Name()+"."+ext, body)
			}
			// Formats that cannot carry a combination say so by leaving it out.
			e := sub.Entries[0]
			if got := bytes.Contains(out["singbox.json"], []byte(`"server_port"`)); got != singbox.Supported(e) {
				t.Errorf("singbox outbound present=%v, supported=%v", got, singbox.Supported(e))
			}
			if got := bytes.Contains(out["clash.yaml"], []byte("server: sub.example.com")); got != clash.Supported(e) {
				t.Errorf("clash proxy present=%v, supported=%v", got, clash.Supported(e))
			}
		})
	}
}

// TestGoldenMultiNode: one link per live node, node in the remark, in
// node order, for every format.
func TestGoldenMultiNode(t *testing.T) {
	t.Parallel()
	c := combo{"vless", "", "ws", "tls"}
	in := inboundFor(1, 443, c, "", "")
	nodes := []profile.Node{{ID: "worker-1", Address: "w1.example.net"}, {ID: "master", Address: "203.0.113.10"}}
	sub := profile.Collect([]*model.Inbound{in}, nodes, testSubID, profile.Options{Host: "ignored", RemarkModel: "-ieo", Now: goldenNow})
	if len(sub.Entries) != 2 || sub.Entries[0].Node != "master" || !strings.Contains(sub.Entries[1].Remark, "@worker-1") {
		t.Fatalf("entries %+v", sub.Entries)
	}
	for ext, body := range renderAll(t, sub.Entries) {
		checkGolden(t, "multinode."+ext, body)
	}
}
