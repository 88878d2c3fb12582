package app

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"time"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/sharedwrite"
	"github.com/mhsanaei/3x-ui/v2/sub"
	"github.com/mhsanaei/3x-ui/v2/sub/profile"
	"github.com/mhsanaei/3x-ui/v2/util/lifecycle"
	"github.com/mhsanaei/3x-ui/v2/web/service"
)

// startSubscriptions runs the subscription server next to the panel. A
// master (or single node) reads inbounds from the database; a worker reads
// the snapshot it applied, so it serves while MariaDB is away. Nodes come
// from node_states (fresh heartbeats only), refreshed in the background;
// a worker falls back to its snapshot's node list.
// subsSlot holds the subscription server Start made, for the fan-out
// step that has it re-read its settings after a settings write.
type subsSlot struct {
	mu  sync.Mutex
	srv *sub.Server
}

func (s *subsSlot) set(srv *sub.Server) {
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
}

// changed reloads the server after a settings write, in the background
// (the reload may restart its listener).
func (s *subsSlot) changed(ch sharedwrite.Change) error {
	if !ch.Settings {
		return nil
	}
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv != nil {
		go srv.Reload()
	}
	return nil
}

func startSubscriptions(ctx context.Context, g *lifecycle.Group, app *App, node config.NodeConfig, rt *nodeRuntime) *sub.Server {
	syncEvery := time.Duration(node.SyncIntervalSeconds) * time.Second
	src := sub.FuncSource{InboundsFunc: func() ([]*model.Inbound, error) { return sub.DBInbounds(app.DB) }}
	if rt != nil {
		cache := &sub.NodeCache{Fetch: func() ([]profile.Node, error) {
			return sub.DBLiveNodes(app.DB, syncEvery, time.Now(), node.Role != config.NodeRoleWorker)
		}}
		if node.Role == config.NodeRoleWorker {
			src.InboundsFunc = func() ([]*model.Inbound, error) {
				snap := rt.sync.Current()
				if snap == nil {
					return nil, service.ErrNoSnapshot
				}
				return snap.Inbounds, nil
			}
			cache.Fallback = func() []profile.Node {
				var out []profile.Node
				if snap := rt.sync.Current(); snap != nil {
					for _, n := range snap.Nodes {
						out = append(out, profile.Node{ID: n.NodeID, Address: n.Address})
					}
				}
				return out
			}
		}
		g.Go("subscription nodes", func(ctx context.Context) error {
			_ = cache.Refresh()
			cache.Run(ctx, syncEvery)
			return nil
		})
		src.NodesFunc = cache.Nodes
	}
	// Subscriptions are answered through a subId index, rebuilt when the
	// shared version (master) or the applied snapshot (worker) changes,
	// so a request costs the same at 10 or 10,000 clients.
	indexed := &sub.IndexedSource{Source: src,
		Version: func() (any, error) { return sub.DBSharedVersion(app.DB) },
		Stats:   func(emails []string) ([]model.ClientTraffic, error) { return sub.DBClientStats(app.DB, emails) }}
	if rt != nil && node.Role == config.NodeRoleWorker {
		indexed.Version = func() (any, error) {
			snap := rt.sync.Current()
			if snap == nil {
				return nil, service.ErrNoSnapshot
			}
			return snap, nil
		}
		indexed.Stats = nil // the snapshot's rows, as before the index
	}
	srv := sub.NewServer(sub.ServerOptions{
		Source: indexed,
		LoadSettings: func() (map[string]any, error) {
			if app.Settings == nil {
				return nil, errors.New("no settings service")
			}
			return app.Settings.GetAllSettings()
		},
		DefaultListen: app.Cfg.Listen,
		CachePath:     filepath.Join(config.GetDBFolderPath(), "sub-settings.json"),
	})
	// A settings change restarts the listener right away on the master
	// (the fan-out's last step).
	app.subs.set(srv)
	srv.Start(ctx)
	return srv
}
