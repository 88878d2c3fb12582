package loop

import (
	"context"
	"testing"
	"time"
)

func TestEveryOrWakeRunsOnWake(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wake := make(chan struct{}, 1)
	ran := make(chan struct{}, 4)
	go EveryOrWake(ctx, time.Hour, wake, func() { ran <- struct{}{} })
	for i := 0; i < 2; i++ {
		wake <- struct{}{}
		select {
		case <-ran:
		case <-time.After(10 * time.Second):
			t.Fatalf("wake %d did not run fn (interval is an hour)", i)
		}
	}
}
