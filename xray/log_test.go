package xray

import (
	"reflect"
	"strings"
	"testing"
)

func TestLogRingSplitsAndWraps(t *testing.T) {
	r := newLogRing(3)
	r.Write([]byte("one\ntw"))
	r.Write([]byte("o\r\n\nthree\nfour\n"))
	if got, want := r.Last(0), []string{"two", "three", "four"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Last(0) = %q, want %q", got, want)
	}
	if got, want := r.Last(2), []string{"three", "four"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Last(2) = %q, want %q", got, want)
	}
	if r.Total() != 4 {
		t.Fatalf("Total = %d, want 4", r.Total())
	}
	mark := r.Total()
	r.Add("five")
	if got := r.Since(mark); !reflect.DeepEqual(got, []string{"five"}) {
		t.Fatalf("Since = %q", got)
	}
	if got := r.Since(r.Total()); got != nil {
		t.Fatalf("Since(now) = %q, want nil", got)
	}
}

func TestLogRingCapsLongLines(t *testing.T) {
	r := newLogRing(4)
	r.Write([]byte(strings.Repeat("x", maxPartialLine+10)))
	r.Write([]byte("\n"))
	got := r.Last(0)
	if len(got) != 2 || len(got[0]) != maxPartialLine || got[1] != strings.Repeat("x", 10) {
		t.Fatalf("long line split wrong: %d lines, first %d bytes", len(got), len(got[0]))
	}
}

func TestAPIAddressOf(t *testing.T) {
	cases := []struct {
		cfg  *Config
		want string
	}{
		{nil, ""},
		{&Config{InboundConfigs: []InboundConfig{{Tag: "x", Port: 1}}}, ""},
		{&Config{InboundConfigs: []InboundConfig{{Tag: "api", Port: 62789, Listen: []byte(`"127.0.0.1"`)}}}, "127.0.0.1:62789"},
		{&Config{InboundConfigs: []InboundConfig{{Tag: "api", Port: 62789, Listen: []byte(`"0.0.0.0"`)}}}, "127.0.0.1:62789"},
		{&Config{InboundConfigs: []InboundConfig{{Tag: "api", Port: 62789}}}, "127.0.0.1:62789"},
		{&Config{API: []byte(`{"tag":"api","listen":"127.0.0.1:10085"}`)}, "127.0.0.1:10085"},
	}
	for _, c := range cases {
		if got := apiAddressOf(c.cfg); got != c.want {
			t.Errorf("apiAddressOf(%+v) = %q, want %q", c.cfg, got, c.want)
		}
	}
}
