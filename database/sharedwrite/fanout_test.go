package sharedwrite_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/sharedwrite"
)

// The fan-out runs its steps in the order the app gave them, leaves out
// the steps a node does not have, and answers the Outcome step's result:
// a later step's failure is logged, never reported as the write's apply.
func TestFanoutRunsStepsInOrderAndAnswersTheApply(t *testing.T) {
	var ran []string
	step := func(name string, outcome bool, err error) sharedwrite.Step {
		return sharedwrite.Step{Name: name, Outcome: outcome, Run: func(ch sharedwrite.Change) error {
			ran = append(ran, name)
			if ch.Post != 7 {
				t.Errorf("%s got version %d, want the write's 7", name, ch.Post)
			}
			return err
		}}
	}
	refused := errors.New("xray refused")
	f := sharedwrite.NewFanout(
		step("push", false, nil),
		sharedwrite.Step{Name: "absent on this node"},
		step("xray", true, refused),
		step("subscriptions", false, errors.New("reload failed")),
	)
	want := []string{"push", "xray", "subscriptions"}
	if got := f.Steps(); !reflect.DeepEqual(got, want) {
		t.Fatalf("steps %v, want %v", got, want)
	}
	if err := f.Changed(sharedwrite.Change{Pre: 6, Post: 7}); !errors.Is(err, refused) {
		t.Fatalf("outcome %v, want the xray step's %v", err, refused)
	}
	if !reflect.DeepEqual(ran, want) {
		t.Fatalf("ran %v, want %v", ran, want)
	}

	ran = nil
	f = sharedwrite.NewFanout(step("xray", true, nil), step("subscriptions", false, errors.New("reload failed")))
	if err := f.Changed(sharedwrite.Change{Post: 7}); err != nil {
		t.Fatalf("a failing non-outcome step made the write's outcome %v", err)
	}
}
