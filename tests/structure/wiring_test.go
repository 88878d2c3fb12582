package structure

import (
	"go/ast"
	"strings"
	"testing"
)

// TestNoHookSettersOrRewiredFuncFields fails on wiring hidden after
// construction (issue 23 item 2): a Set* method that takes a function, and
// an assignment of a function literal (or to an On<Event> field) to a field
// of a field (a.Part.Hook = func...), the shape of the old OnChange
// re-wrapping. Parts get their
// dependencies through their constructors (or a Deps struct) once; shared
// writes reach the app's one fan-out through a sharedwrite.Notifier.
func TestNoHookSettersOrRewiredFuncFields(t *testing.T) {
	for _, gf := range parseModule(t) {
		ast.Inspect(gf.file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				if n.Recv == nil || !strings.HasPrefix(n.Name.Name, "Set") {
					return true
				}
				for _, p := range n.Type.Params.List {
					if _, isFunc := p.Type.(*ast.FuncType); isFunc {
						t.Errorf("%s: %s takes a function after construction; pass it to the constructor", gf.rel, n.Name.Name)
					}
				}
			case *ast.AssignStmt:
				for i, lhs := range n.Lhs {
					sel, ok := lhs.(*ast.SelectorExpr)
					if !ok || i >= len(n.Rhs) {
						continue
					}
					if _, nested := sel.X.(*ast.SelectorExpr); !nested {
						continue
					}
					_, isFunc := n.Rhs[i].(*ast.FuncLit)
					if isFunc || isHookName(sel.Sel.Name) {
						t.Errorf("%s: a function assigned to %s.%s after construction; pass it to the constructor", gf.rel, exprName(sel.X), sel.Sel.Name)
					}
				}
			}
			return true
		})
	}
}

// isHookName: On<Event> fields are callbacks whatever the right side is.
func isHookName(name string) bool {
	return len(name) > 2 && strings.HasPrefix(name, "On") && name[2] >= 'A' && name[2] <= 'Z'
}

func exprName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return exprName(e.X) + "." + e.Sel.Name
	}
	return "?"
}
