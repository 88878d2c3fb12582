package xray

// Traffic is one inbound's or outbound's byte counters read from Xray.
type Traffic struct {
	IsInbound  bool
	IsOutbound bool
	Tag        string
	Up         int64
	Down       int64
}
