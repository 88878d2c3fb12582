package web

import (
	"context"
	"errors"
	"path/filepath"
	"time"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/sub"
	"github.com/mhsanaei/3x-ui/v2/sub/profile"
	"github.com/mhsanaei/3x-ui/v2/web/service"
)

// startSubscriptions runs the subscription server next to the panel. A
// master (or single node) reads inbounds from the database; a worker reads
// the snapshot it applied, so it serves while MariaDB is away. Nodes come
// from node_states (fresh heartbeats only), refreshed in the background;
// a worker falls back to its snapshot's node list.
func startSubscriptions(ctx context.Context, app *App, node config.NodeConfig, rt *nodeRuntime) *sub.Server {
	syncEvery := time.Duration(node.SyncIntervalSeconds) * time.Second
	src := sub.FuncSource{InboundsFunc: func() ([]*model.Inbound, error) { return sub.DBInbounds(app.DB) }}
	if rt != nil {
		cache := &sub.NodeCache{Fetch: func() ([]profile.Node, error) {
			return sub.DBLiveNodes(app.DB, syncEvery, time.Now())
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
		go func() {
			_ = cache.Refresh()
			cache.Run(ctx, syncEvery)
		}()
		src.NodesFunc = cache.Nodes
	}
	srv := sub.NewServer(sub.ServerOptions{
		Source: src,
		LoadSettings: func() (map[string]any, error) {
			if app.Settings == nil {
				return nil, errors.New("no settings service")
			}
			return app.Settings.GetAllSettings()
		},
		DefaultListen: app.Cfg.Listen,
		CachePath:     filepath.Join(config.GetDBFolderPath(), "sub-settings.json"),
	})
	// A settings change restarts the listener right away on the master.
	prev := app.Settings.OnChange
	app.Settings.OnChange = func() {
		if prev != nil {
			prev()
		}
		go srv.Reload()
	}
	srv.Start(ctx)
	return srv
}
