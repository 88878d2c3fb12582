package applied

import (
	"errors"
	"testing"
)

func TestReceiptKeepsFirstFailure(t *testing.T) {
	var nilReceipt *Receipt
	nilReceipt.Record(errors.New("ignored"))
	if ran, err := nilReceipt.Result(); ran || err != nil {
		t.Fatalf("nil receipt: ran=%v err=%v", ran, err)
	}
	var r Receipt
	if ran, err := r.Result(); ran || err != nil {
		t.Fatalf("empty receipt: ran=%v err=%v", ran, err)
	}
	r.Record(nil)
	r.Record(errors.New("first"))
	r.Record(errors.New("second"))
	if ran, err := r.Result(); !ran || err == nil || err.Error() != "first" {
		t.Fatalf("ran=%v err=%v, want ran and the first failure", ran, err)
	}
}
