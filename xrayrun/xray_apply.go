package xrayrun

import (
	"encoding/json"
	"fmt"
	"log"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/users"
)

// liveOp is one change that Xray's API can make without a restart.
type liveOp struct {
	desc string
	run  func(api *xray.APIClient) error
}

// ApplyConfig makes the running Xray match desired. Client and inbound
// changes go through the gRPC API so established connections survive; a
// template change, a stopped process or a failed API call falls back to a
// restart (which drains counters first).
func (s *Runner) ApplyConfig(desired *xray.Config) error {
	desired = s.guard(desired)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.manuallyStopped.Load() {
		return nil
	}
	s.materializeLocked()
	current := s.proc.Config()
	if !s.proc.IsRunning() || current == nil {
		return s.restartLocked(desired, true)
	}
	if current.Equals(desired) {
		return nil
	}
	ops, ok := planLiveOps(current, desired)
	if !ok {
		return s.restartLocked(desired, true)
	}
	api, err := s.apiLocked()
	if err != nil {
		return s.restartLocked(desired, true)
	}
	if needsDrain(ops) {
		if err := s.drainLocked(); err != nil {
			log.Printf("xray: drain before inbound change failed: %v", err)
		}
	}
	for _, op := range ops {
		if err := op.run(api); err != nil {
			log.Printf("xray: live %s failed (%v); restarting", op.desc, err)
			return s.restartLocked(desired, true)
		}
		s.liveOps.Add(1)
	}
	return s.proc.UpdateConfig(desired)
}

// PlanOps names, in order, the API operations ApplyConfig would send to
// an Xray running current to make it run desired ("add user x", "remove
// inbound t", ...); live false means ApplyConfig would restart Xray. The
// cluster suite's simulated workers record these instead of calling Xray.
func PlanOps(current, desired *xray.Config) (ops []string, live bool) {
	if current == nil {
		return nil, false
	}
	if current.Equals(desired) {
		return nil, true
	}
	planned, ok := planLiveOps(current, desired)
	if !ok {
		return nil, false
	}
	ops = make([]string, len(planned))
	for i, op := range planned {
		ops[i] = op.desc
	}
	return ops, true
}

func needsDrain(ops []liveOp) bool {
	for _, op := range ops {
		if strings.HasPrefix(op.desc, "remove inbound") {
			return true
		}
	}
	return false
}

// planLiveOps lists the API operations turning current into desired, or
// reports false when only a restart can do it (template or api changes).
func planLiveOps(current, desired *xray.Config) ([]liveOp, bool) {
	curRest, desRest := *current, *desired
	curRest.InboundConfigs, desRest.InboundConfigs = nil, nil
	if !curRest.Equals(&desRest) {
		return nil, false
	}
	cur := indexInbounds(current.InboundConfigs)
	des := indexInbounds(desired.InboundConfigs)
	if !cur["api"].Equals(des["api"]) {
		return nil, false
	}
	var ops []liveOp
	for _, ic := range current.InboundConfigs {
		if _, keep := des[ic.Tag]; !keep {
			ops = append(ops, removeInboundOp(ic.Tag))
		}
	}
	for i := range desired.InboundConfigs {
		want := &desired.InboundConfigs[i]
		have, exists := cur[want.Tag]
		if !exists {
			ops = append(ops, addInboundOp(want))
			continue
		}
		if have.Equals(want) {
			continue
		}
		clientOps, ok := planClientOps(have, want)
		if !ok {
			ops = append(ops, removeInboundOp(want.Tag), addInboundOp(want))
			continue
		}
		ops = append(ops, clientOps...)
	}
	return ops, true
}

func indexInbounds(list []xray.InboundConfig) map[string]*xray.InboundConfig {
	out := make(map[string]*xray.InboundConfig, len(list))
	for i := range list {
		out[list[i].Tag] = &list[i]
	}
	return out
}

func removeInboundOp(tag string) liveOp {
	return liveOp{desc: "remove inbound " + tag, run: func(api *xray.APIClient) error {
		if err := api.RemoveInbound(tag); err != nil && !xray.IsNotFoundErr(err) {
			return err
		}
		return nil
	}}
}

func addInboundOp(ic *xray.InboundConfig) liveOp {
	c := *ic
	return liveOp{desc: "add inbound " + c.Tag, run: func(api *xray.APIClient) error {
		return api.AddInbound(&c)
	}}
}

// planClientOps diffs two versions of one inbound that differ only in their
// client lists; false means other settings changed too.
func planClientOps(have, want *xray.InboundConfig) ([]liveOp, bool) {
	if !xray.SupportsLiveUsers(want.Protocol) {
		return nil, false
	}
	haveSettings, haveClients, err1 := splitClients(have.Settings)
	wantSettings, wantClients, err2 := splitClients(want.Settings)
	if err1 != nil || err2 != nil {
		return nil, false
	}
	h, w := *have, *want
	h.Settings, w.Settings = haveSettings, wantSettings
	if !h.Equals(&w) {
		return nil, false
	}
	method := inboundMethod(want.Settings)
	var ops []liveOp
	for email, hc := range haveClients {
		wc, keep := wantClients[email]
		if keep && jsonEqual(hc, wc) {
			continue
		}
		ops = append(ops, removeUserOp(want.Tag, email))
	}
	for email, wc := range wantClients {
		hc, existed := haveClients[email]
		if existed && jsonEqual(hc, wc) {
			continue
		}
		ops = append(ops, addUserOp(want.Protocol, want.Tag, method, wc))
	}
	return ops, true
}

// splitClients separates the clients (by email) from the other settings.
// A client without an email cannot be addressed through the API.
func splitClients(raw json.RawMessage) (json.RawMessage, map[string]map[string]any, error) {
	settings, list, _, err := users.DecodeObjects(raw)
	if err != nil {
		return nil, nil, err
	}
	clients := map[string]map[string]any{}
	for _, item := range list {
		c, ok := item.(map[string]any)
		email, _ := c["email"].(string)
		if !ok || email == "" {
			return nil, nil, fmt.Errorf("client without email")
		}
		clients[email] = c
	}
	delete(settings, "clients")
	rest, err := json.Marshal(settings)
	return rest, clients, err
}

func inboundMethod(raw json.RawMessage) string {
	var s struct {
		Method string `json:"method"`
	}
	_ = json.Unmarshal(raw, &s)
	return s.Method
}

func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

func removeUserOp(tag, email string) liveOp {
	return liveOp{desc: "remove user " + email, run: func(api *xray.APIClient) error {
		if err := api.RemoveUser(tag, email); err != nil && !xray.IsNotFoundErr(err) {
			return err
		}
		return nil
	}}
}

func addUserOp(protocol, tag, method string, client map[string]any) liveOp {
	user := make(map[string]any, len(client)+1)
	for k, v := range client {
		user[k] = v
	}
	if protocol == string(model.Shadowsocks) {
		if m, _ := user["method"].(string); m == "" && method != "" {
			user["method"] = method
		}
	}
	email, _ := user["email"].(string)
	return liveOp{desc: "add user " + email, run: func(api *xray.APIClient) error {
		err := api.AddUser(protocol, tag, user)
		if xray.IsAlreadyExistsErr(err) {
			// config.json lagged behind Xray (the panel died before it
			// was rewritten): replace the user instead of restarting.
			if err = api.RemoveUser(tag, email); err == nil {
				err = api.AddUser(protocol, tag, user)
			}
		}
		return err
	}}
}
