package lifecycle

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestFailedLoopIsRestarted: a loop that returns an error (or panics) is
// started again; it keeps running until Stop.
func TestFailedLoopIsRestarted(t *testing.T) {
	var mu sync.Mutex
	var restarts []string
	g := New(context.Background(), Hooks{
		Backoff: func(int) time.Duration { return time.Millisecond },
		Restarting: func(name string, err error) {
			mu.Lock()
			restarts = append(restarts, name+": "+err.Error())
			mu.Unlock()
		},
	})
	runs := 0
	serving := make(chan struct{})
	g.Go("flaky", func(ctx context.Context) error {
		runs++ // the supervisor runs one attempt at a time
		switch runs {
		case 1:
			return errors.New("database away")
		case 2:
			panic("bad row")
		}
		close(serving)
		<-ctx.Done()
		return nil
	})
	<-serving
	g.Stop()
	mu.Lock()
	defer mu.Unlock()
	want := []string{"flaky: database away", "flaky: panic: bad row"}
	if len(restarts) != len(want) || restarts[0] != want[0] || restarts[1] != want[1] {
		t.Fatalf("restarts %q, want %q", restarts, want)
	}
	if runs != 3 {
		t.Fatalf("ran %d times, want 3", runs)
	}
}

// TestLoopReturningEarlyIsRestarted: returning nil before the group stops
// is not a silent exit either.
func TestLoopReturningEarlyIsRestarted(t *testing.T) {
	again := make(chan struct{})
	g := New(context.Background(), Hooks{Backoff: func(int) time.Duration { return time.Millisecond }})
	runs := 0
	g.Go("early", func(ctx context.Context) error {
		runs++
		if runs == 2 {
			close(again)
		}
		if runs >= 2 {
			<-ctx.Done()
		}
		return nil
	})
	<-again
	g.Stop()
}

// TestStopWaitsInReverseOrder: Stop returns only after every loop ended,
// and ends the last started loop first.
func TestStopWaitsInReverseOrder(t *testing.T) {
	var mu sync.Mutex
	var exited []string
	g := New(context.Background(), Hooks{Exited: func(name string) {
		mu.Lock()
		exited = append(exited, name)
		mu.Unlock()
	}})
	release := make(chan struct{})
	started := make(chan struct{}, 3)
	for _, name := range []string{"flush", "sync", "push"} {
		g.Go(name, func(ctx context.Context) error {
			started <- struct{}{}
			<-ctx.Done()
			if name == "flush" {
				<-release // the last flush still writing
			}
			return nil
		})
	}
	for range 3 {
		<-started
	}
	stopped := make(chan struct{})
	go func() {
		g.Stop()
		close(stopped)
	}()
	close(release)
	<-stopped
	mu.Lock()
	defer mu.Unlock()
	if len(exited) != 3 || exited[0] != "push" || exited[1] != "sync" || exited[2] != "flush" {
		t.Fatalf("exit order %q, want push, sync, flush", exited)
	}
	g.Go("late", func(ctx context.Context) error { t.Error("a loop started after Stop"); return nil })
}
