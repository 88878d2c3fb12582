package xray

import "github.com/mhsanaei/3x-ui/v2/database/model"

// Traffic is one inbound's or outbound's byte counters read from Xray.
type Traffic struct {
	IsInbound  bool
	IsOutbound bool
	Tag        string
	Up         int64
	Down       int64
}

// ClientTraffic is the per-client counter row; the type lives in
// database/model so the model does not depend on the Xray runtime.
type ClientTraffic = model.ClientTraffic
