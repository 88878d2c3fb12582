// Package structure checks the size limits of the house style: no package
// above 15% of the non-test Go lines, no file above 800 lines.
package structure

import (
	"bytes"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
)

const (
	maxPackageShare = 0.15
	maxFileLines    = 800
)

func moduleRoot(t *testing.T) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller")
	}
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}

type sized struct {
	name  string
	lines int
}

// walkSources calls fn with the path of every non-test Go file of the
// module under root (skipping node_modules, .git, bin and testdata).
func walkSources(root string, fn func(path string) error) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", ".git", "bin", "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		return fn(path)
	})
}

// TestPackageAndFileSizes prints the largest package's share of the
// non-test Go lines and the largest file, and fails above the limits.
func TestPackageAndFileSizes(t *testing.T) {
	root := moduleRoot(t)
	perDir := map[string]int{}
	var files []sized
	total := 0
	err := walkSources(root, func(path string) error {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n := bytes.Count(data, []byte("\n"))
		rel, _ := filepath.Rel(root, path)
		perDir[filepath.Dir(rel)] += n
		files = append(files, sized{rel, n})
		total += n
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if total == 0 {
		t.Fatal("no Go files found under " + root)
	}
	var pkgs []sized
	for dir, n := range perDir {
		pkgs = append(pkgs, sized{dir, n})
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].lines > pkgs[j].lines })
	sort.Slice(files, func(i, j int) bool { return files[i].lines > files[j].lines })
	for _, p := range pkgs[:min(5, len(pkgs))] {
		t.Logf("package %-20s %5d lines  %4.1f%%", p.name, p.lines, 100*float64(p.lines)/float64(total))
	}
	t.Logf("largest package: %s, %.1f%% of %d non-test Go lines (limit %.0f%%)",
		pkgs[0].name, 100*float64(pkgs[0].lines)/float64(total), total, 100*maxPackageShare)
	t.Logf("largest file: %s, %d lines (limit %d)", files[0].name, files[0].lines, maxFileLines)
	for _, p := range pkgs {
		if float64(p.lines) > maxPackageShare*float64(total) {
			t.Errorf("package %s has %d of %d lines (%.1f%%), above %.0f%%", p.name, p.lines, total,
				100*float64(p.lines)/float64(total), 100*maxPackageShare)
		}
	}
	for _, f := range files {
		if f.lines > maxFileLines {
			t.Errorf("file %s has %d lines, above %d", f.name, f.lines, maxFileLines)
		}
	}
}

// TestImportArrowsPointDown fails when a lower layer imports an upper one:
// the model may not import the Xray runtime, no service (anything outside
// web/ except web/service's facades, main and the app that wires them) may
// import the HTTP layer, and the HTTP layer (web and its subpackages) may
// not import the app or its jobs: the app hands HTTP what it serves.
func TestImportArrowsPointDown(t *testing.T) {
	isWeb := func(pkg string) bool { return pkg == "web" || strings.HasPrefix(pkg, "web/") }
	isApp := func(pkg string) bool { return pkg == "app" || strings.HasPrefix(pkg, "app/") }
	const module = "github.com/mhsanaei/3x-ui/v2/"
	root := moduleRoot(t)
	forbidden := func(pkg, imp string) bool {
		switch {
		case (pkg == "database" || pkg == "database/model") && (imp == "xray" || strings.HasPrefix(imp, "web")):
			return true
		case pkg != "." && !isApp(pkg) && (pkg == "web/service" || !isWeb(pkg)) &&
			(imp == "web/session" || imp == "web/controller" || imp == "web/middleware" || imp == "web"):
			return true
		case isWeb(pkg) && isApp(imp):
			return true
		}
		return false
	}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".git") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		pkg := filepath.ToSlash(filepath.Dir(rel))
		for _, spec := range f.Imports {
			imp := strings.Trim(spec.Path.Value, `"`)
			if !strings.HasPrefix(imp, module) {
				continue
			}
			if imp = strings.TrimPrefix(imp, module); forbidden(pkg, imp) {
				t.Errorf("%s imports %s: the arrow points up", rel, imp)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
