package service

import "github.com/mhsanaei/3x-ui/v2/traffic"

// TrafficDelta is one client's counter growth not yet in the database.
type TrafficDelta = traffic.Delta

// TrafficBatch is the journal's in-flight batch.
type TrafficBatch = traffic.Batch

// TrafficTotals sums what the journal collected.
type TrafficTotals = traffic.Totals

// TrafficPendingStore is the durable journal of unflushed deltas
// (traffic-pending.json); see traffic.Journal.
type TrafficPendingStore = traffic.Journal

// NewTrafficPendingStore opens the journal at path.
func NewTrafficPendingStore(path string) *TrafficPendingStore { return traffic.NewJournal(path) }
