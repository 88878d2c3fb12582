package xray

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"time"

	statscmd "github.com/xtls/xray-core/app/stats/command"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// apiCallTimeout bounds every gRPC call.
const apiCallTimeout = 5 * time.Second

// Sentinels that APIError unwraps to, for errors.Is.
var (
	ErrNotFound      = errors.New("not found")
	ErrAlreadyExists = errors.New("already exists")
)

// APIError is a failed Xray API call with Xray's own message.
type APIError struct {
	Op   string     // e.g. "AddUser"
	Code codes.Code // gRPC status code (Xray reports most failures as Unknown)
	Msg  string     // Xray's message
	kind error      // ErrNotFound, ErrAlreadyExists or nil
}

func (e *APIError) Error() string { return "xray api " + e.Op + ": " + e.Msg }

// Unwrap lets errors.Is match ErrNotFound / ErrAlreadyExists.
func (e *APIError) Unwrap() error { return e.kind }

// IsNotFoundErr is true when Xray says the user, inbound or rule does not
// exist, so a remove of something missing can count as done.
func IsNotFoundErr(err error) bool { return errors.Is(err, ErrNotFound) }

// IsAlreadyExistsErr is true when Xray (or the pre-check in AddUser) says
// the user, inbound tag or rule tag is already there.
func IsAlreadyExistsErr(err error) bool { return errors.Is(err, ErrAlreadyExists) }

// APIClient talks to one Xray instance's gRPC API over a single long-lived
// loopback connection, dialled lazily and replaced after failures.
type APIClient struct {
	addr    string
	timeout time.Duration

	mu     sync.Mutex
	conn   *grpc.ClientConn
	closed bool
}

// NewAPIClient returns a client for addr ("127.0.0.1:port"); nothing is
// dialled until the first call.
func NewAPIClient(addr string) *APIClient {
	return &APIClient{addr: addr, timeout: apiCallTimeout}
}

// Close drops the connection; later calls fail.
func (c *APIClient) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return c.dropLocked()
}

func (c *APIClient) dropLocked() error {
	if c.conn == nil {
		return nil
	}
	err := c.conn.Close()
	c.conn = nil
	return err
}

// connection returns the shared conn, replacing one that has failed (e.g.
// after Xray restarted) so the call dials afresh instead of waiting out
// gRPC's reconnect backoff.
func (c *APIClient) connection() (*grpc.ClientConn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errors.New("xray api: client is closed")
	}
	if c.conn != nil {
		switch c.conn.GetState() {
		case connectivity.TransientFailure, connectivity.Shutdown:
			_ = c.dropLocked()
		}
	}
	if c.conn == nil {
		conn, err := grpc.NewClient("passthrough:///"+c.addr,
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithConnectParams(grpc.ConnectParams{
				Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 2 * time.Second},
				MinConnectTimeout: 2 * time.Second,
			}))
		if err != nil {
			return nil, err
		}
		c.conn = conn
	}
	return c.conn, nil
}

// call runs one RPC with a timeout and turns its failure into an APIError.
func (c *APIClient) call(op string, fn func(ctx context.Context, conn *grpc.ClientConn) error) error {
	conn, err := c.connection()
	if err != nil {
		return &APIError{Op: op, Code: codes.Unavailable, Msg: err.Error()}
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	err = fn(ctx, conn)
	if err == nil {
		return nil
	}
	st := status.Convert(err)
	if st.Code() == codes.Unavailable {
		// The connection broke; the next call starts a fresh one.
		c.mu.Lock()
		if c.conn == conn {
			_ = c.dropLocked()
		}
		c.mu.Unlock()
	}
	return classify(op, st.Code(), st.Message())
}

// classify maps Xray's messages (it rarely uses status codes) to kinds.
func classify(op string, code codes.Code, msg string) *APIError {
	e := &APIError{Op: op, Code: code, Msg: msg}
	lower := strings.ToLower(msg)
	switch {
	case code == codes.NotFound,
		strings.Contains(lower, "not found"),
		// RemoveInbound of an unknown tag returns common.ErrNoClue.
		strings.Contains(lower, "not enough information for making a decision"):
		e.kind = ErrNotFound
	case code == codes.AlreadyExists,
		strings.Contains(lower, "already exists"),
		strings.Contains(lower, "existing tag found"),
		strings.Contains(lower, "duplicate ruletag"):
		e.kind = ErrAlreadyExists
	}
	return e
}

// QueryTraffic reads the inbound/outbound and per-user byte counters; with
// reset each counter is read and zeroed atomically by Xray. The "api"
// inbound/outbound is left out. Users appear once they have had traffic.
func (c *APIClient) QueryTraffic(reset bool) ([]*Traffic, []*ClientTraffic, error) {
	var resp *statscmd.QueryStatsResponse
	err := c.call("QueryStats", func(ctx context.Context, conn *grpc.ClientConn) error {
		var err error
		resp, err = statscmd.NewStatsServiceClient(conn).QueryStats(ctx, &statscmd.QueryStatsRequest{Reset_: reset})
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	traffics := map[string]*Traffic{}
	clients := map[string]*ClientTraffic{}
	for _, s := range resp.GetStat() {
		parts := strings.Split(s.GetName(), ">>>")
		if len(parts) != 4 || parts[2] != "traffic" {
			continue
		}
		kind, name, dir := parts[0], parts[1], parts[3]
		switch kind {
		case "inbound", "outbound":
			if name == "api" {
				continue
			}
			key := kind + ">>>" + name
			t := traffics[key]
			if t == nil {
				t = &Traffic{IsInbound: kind == "inbound", IsOutbound: kind == "outbound", Tag: name}
				traffics[key] = t
			}
			addDirection(&t.Up, &t.Down, dir, s.GetValue())
		case "user":
			ct := clients[name]
			if ct == nil {
				ct = &ClientTraffic{Email: name}
				clients[name] = ct
			}
			addDirection(&ct.Up, &ct.Down, dir, s.GetValue())
		}
	}
	return sortedValues(traffics), sortedValues(clients), nil
}

func addDirection(up, down *int64, dir string, v int64) {
	switch dir {
	case "uplink":
		*up += v
	case "downlink":
		*down += v
	}
}

// sortedValues lists a map's values in key order, so results are stable.
func sortedValues[T any](m map[string]*T) []*T {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]*T, 0, len(keys))
	for _, k := range keys {
		out = append(out, m[k])
	}
	return out
}

// OnlineUsers lists the emails with at least one open connection (needs
// policy statsUserOnline). Xray does not track connections from 127.0.0.1
// or ::1, so loopback-only users never show as online.
func (c *APIClient) OnlineUsers() ([]string, error) {
	var resp *statscmd.GetAllOnlineUsersResponse
	err := c.call("GetAllOnlineUsers", func(ctx context.Context, conn *grpc.ClientConn) error {
		var err error
		resp, err = statscmd.NewStatsServiceClient(conn).GetAllOnlineUsers(ctx, &statscmd.GetAllOnlineUsersRequest{})
		return err
	})
	if err != nil {
		return nil, err
	}
	emails := make([]string, 0, len(resp.GetUsers()))
	for _, name := range resp.GetUsers() {
		// Xray returns the online-map names: user>>>EMAIL>>>online.
		email := strings.TrimSuffix(strings.TrimPrefix(name, "user>>>"), ">>>online")
		if email != "" {
			emails = append(emails, email)
		}
	}
	sort.Strings(emails)
	return emails, nil
}

// OnlineIPs maps each source IP with an open connection of email to the unix
// time it was last seen. A user that never connected gives an empty map.
func (c *APIClient) OnlineIPs(email string) (map[string]int64, error) {
	var resp *statscmd.GetStatsOnlineIpListResponse
	err := c.call("GetStatsOnlineIpList", func(ctx context.Context, conn *grpc.ClientConn) error {
		var err error
		resp, err = statscmd.NewStatsServiceClient(conn).GetStatsOnlineIpList(ctx,
			&statscmd.GetStatsRequest{Name: "user>>>" + email + ">>>online"})
		return err
	})
	if IsNotFoundErr(err) {
		return map[string]int64{}, nil
	}
	if err != nil {
		return nil, err
	}
	ips := make(map[string]int64, len(resp.GetIps()))
	for ip, t := range resp.GetIps() {
		ips[ip] = t
	}
	return ips, nil
}
