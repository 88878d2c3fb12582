package xrayrun

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/users"
)

// materializeDelay is how long client changes stay an in-memory overlay
// before the full config is rebuilt and written to config.json once for
// the whole burst.
const materializeDelay = time.Second

// errNeedFull: a client change that the API path cannot apply by itself.
var errNeedFull = errors.New("client change needs a full apply")

// clientOverlay is what live client changes did to one inbound since the
// config was last rebuilt: by lower-case email, the Xray client now served
// (nil = removed), in the order the changes came.
type clientOverlay struct {
	order []string
	set   map[string]map[string]any
}

func (o *clientOverlay) put(email string, client map[string]any) {
	key := strings.ToLower(email)
	if _, seen := o.set[key]; !seen {
		o.order = append(o.order, key)
	}
	o.set[key] = client
}

// ApplyClientChanges applies client-only writes user by user over Xray's
// API: O(changed clients), no render of the whole config. When that path
// cannot do it (Xray down, inbound not running, a protocol without live
// users, a failed call) it falls back to ApplyFromDatabase.
func (s *Runner) ApplyClientChanges(changes []inbound.ClientChange) error {
	if s.Knobs.ClientApply != nil {
		if err := s.Knobs.ClientApply(changes); err != nil {
			s.noteApply(err)
			return err
		}
	}
	err := s.applyClientChanges(changes)
	if errors.Is(err, errNeedFull) {
		return s.ApplyFromDatabase()
	}
	s.noteApply(err)
	return err
}

func (s *Runner) applyClientChanges(changes []inbound.ClientChange) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.manuallyStopped.Load() {
		return nil
	}
	current := s.proc.Config()
	if !s.proc.IsRunning() || current == nil {
		return errNeedFull
	}
	api, err := s.apiLocked()
	if err != nil {
		return errNeedFull
	}
	for _, ch := range changes {
		if err := s.applyOneClientChange(api, current, ch); err != nil {
			if !errors.Is(err, errNeedFull) {
				log.Printf("xray: live client change on %s failed (%v); applying in full", ch.Tag, err)
			}
			return errNeedFull
		}
	}
	s.scheduleMaterializeLocked()
	return nil
}

func (s *Runner) applyOneClientChange(api *xray.APIClient, current *xray.Config, ch inbound.ClientChange) error {
	running := false
	for i := range current.InboundConfigs {
		if current.InboundConfigs[i].Tag == ch.Tag {
			running = true
			break
		}
	}
	if !running || !ch.InboundEnabled {
		if running || ch.InboundEnabled {
			return errNeedFull // served state disagrees with the row
		}
		return nil // a disabled inbound: nothing runs
	}
	if !xray.SupportsLiveUsers(string(ch.Protocol)) {
		return errNeedFull
	}
	// A Shadowsocks-2022 inbound must stop when its last client goes.
	if ch.Protocol == model.Shadowsocks && strings.HasPrefix(ch.Method, "2022-") && len(ch.Removed) > 0 {
		return errNeedFull
	}
	overlay := s.overlayLocked(ch.Tag)
	remove := func(email string) error {
		if email == "" {
			return nil
		}
		if err := removeUserOp(ch.Tag, email).run(api); err != nil {
			return err
		}
		s.liveOps.Add(1)
		overlay.put(email, nil)
		return nil
	}
	for _, email := range ch.Removed {
		if err := remove(email); err != nil {
			return err
		}
	}
	for _, w := range ch.Written {
		if err := remove(w.Replaces); err != nil {
			return err
		}
		if err := remove(w.Email); err != nil {
			return err
		}
		if !w.Enable {
			continue
		}
		stored := map[string]any{}
		if err := json.Unmarshal(w.Raw, &stored); err != nil {
			return fmt.Errorf("client %s: %w", w.Email, err)
		}
		client := users.XrayClient(string(ch.Protocol), ch.Method, stored)
		if err := addUserOp(string(ch.Protocol), ch.Tag, ch.Method, client).run(api); err != nil {
			return err
		}
		s.liveOps.Add(1)
		overlay.put(w.Email, client)
	}
	return nil
}

func (s *Runner) overlayLocked(tag string) *clientOverlay {
	if s.overlays == nil {
		s.overlays = map[string]*clientOverlay{}
	}
	o := s.overlays[tag]
	if o == nil {
		o = &clientOverlay{set: map[string]map[string]any{}}
		s.overlays[tag] = o
	}
	return o
}

func (s *Runner) scheduleMaterializeLocked() {
	if len(s.overlays) == 0 || s.materializeTimer != nil {
		return
	}
	s.materializeTimer = time.AfterFunc(materializeDelay, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.materializeLocked()
	})
}

// materializeLocked folds the client overlays into the running config and
// writes it to config.json, so a restart or adoption starts from it.
func (s *Runner) materializeLocked() {
	if s.materializeTimer != nil {
		s.materializeTimer.Stop()
		s.materializeTimer = nil
	}
	if len(s.overlays) == 0 {
		return
	}
	overlays := s.overlays
	s.overlays = nil
	current := s.proc.Config()
	if current == nil {
		return
	}
	next := *current
	next.InboundConfigs = append([]xray.InboundConfig(nil), current.InboundConfigs...)
	for i := range next.InboundConfigs {
		ic := &next.InboundConfigs[i]
		o := overlays[ic.Tag]
		if o == nil {
			continue
		}
		settings, err := overlaySettings(ic.Settings, o)
		if err != nil {
			log.Printf("xray: rebuild %s after client changes: %v", ic.Tag, err)
			continue
		}
		ic.Settings = settings
	}
	if err := s.proc.UpdateConfig(&next); err != nil {
		log.Printf("xray: write config after client changes: %v", err)
	}
}

// overlaySettings applies an overlay to an inbound's Xray settings: known
// clients are replaced or dropped in place, new ones appended.
func overlaySettings(raw json.RawMessage, o *clientOverlay) (json.RawMessage, error) {
	settings, list, _, err := users.DecodeObjects(raw)
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(list)+len(o.order))
	placed := map[string]bool{}
	for _, item := range list {
		c, _ := item.(map[string]any)
		email, _ := c["email"].(string)
		key := strings.ToLower(email)
		next, patched := o.set[key]
		if !patched {
			out = append(out, item)
			continue
		}
		placed[key] = true
		if next != nil {
			out = append(out, next)
		}
	}
	for _, key := range o.order {
		if next := o.set[key]; next != nil && !placed[key] {
			out = append(out, next)
		}
	}
	settings["clients"] = out
	return json.Marshal(settings)
}

// RunningConfig is the config Xray runs now, client changes included
// (nil when none).
func (s *Runner) RunningConfig() *xray.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.materializeLocked()
	return s.proc.Config()
}
