package metrics

import (
	"sync"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/prometheus/client_golang/prometheus"
)

func addTrafficDescs(add func(name, help string, labels ...string)) {
	add("node_inbound_traffic_bytes_total", "Bytes this node's Xray moved per inbound since the panel started (drained from Xray).", "inbound", "direction")
	add("node_outbound_traffic_bytes_total", "Bytes this node's Xray moved per outbound since the panel started.", "outbound", "direction")
	add("node_client_traffic_bytes_total", "Bytes this node's Xray moved per client since the panel started (metricsClientSeries).", "email", "direction")
	add("inbound_traffic_bytes_total", "Cluster-wide bytes per inbound as the database (and the API's inbounds/list) holds them; master or single node only.", "inbound", "direction")
	add("client_traffic_bytes_total", "Cluster-wide bytes per client as the database (and getClientTraffics) holds them; master or single node only (metricsClientSeries).", "email", "direction")
}

// updown is a pair of byte counters.
type updown struct{ up, down int64 }

// nodeTraffic counts what this node drained from Xray, in memory: it
// needs no database, so a worker reports its traffic while MariaDB is
// away. Series live as long as the process (one per tag or email seen).
type nodeTraffic struct {
	mu        sync.Mutex
	inbounds  map[string]*updown
	outbounds map[string]*updown
	clients   map[string]*updown
}

func newNodeTraffic() *nodeTraffic {
	return &nodeTraffic{inbounds: map[string]*updown{}, outbounds: map[string]*updown{}, clients: map[string]*updown{}}
}

func add(m map[string]*updown, key string, up, down int64) {
	if up == 0 && down == 0 {
		return
	}
	c := m[key]
	if c == nil {
		c = &updown{}
		m[key] = c
	}
	c.up += up
	c.down += down
}

// ObserveTraffic counts one drain that the journal accepted.
func (m *Metrics) ObserveTraffic(traffics []*xray.Traffic, clients []*xray.ClientTraffic) {
	t := m.traffic
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, x := range traffics {
		switch {
		case x == nil:
		case x.IsInbound:
			add(t.inbounds, x.Tag, x.Up, x.Down)
		case x.IsOutbound:
			add(t.outbounds, x.Tag, x.Up, x.Down)
		}
	}
	for _, c := range clients {
		if c != nil {
			add(t.clients, c.Email, c.Up, c.Down)
		}
	}
}

func (t *nodeTraffic) collect(ch chan<- prometheus.Metric, d descs, perClient bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	emit(ch, d.get("node_inbound_traffic_bytes_total"), t.inbounds)
	emit(ch, d.get("node_outbound_traffic_bytes_total"), t.outbounds)
	if perClient {
		emit(ch, d.get("node_client_traffic_bytes_total"), t.clients)
	}
}

func emit(ch chan<- prometheus.Metric, d *prometheus.Desc, m map[string]*updown) {
	for k, v := range m {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v.up), k, "up")
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v.down), k, "down")
	}
}

// totals are the cluster-wide counters as stored (what the API shows).
type totals struct {
	inbounds map[string]*updown
	clients  map[string]*updown
}

// readTotals is two queries, whatever the number of clients: inbounds'
// own counters and client_traffics (skipped without per-client series).
func readTotals(db *database.Handle, perClient bool) (*totals, error) {
	conn, err := db.DB()
	if err != nil {
		return nil, err
	}
	var rows []struct {
		K        string
		Up, Down int64
	}
	out := &totals{inbounds: map[string]*updown{}, clients: map[string]*updown{}}
	if err := conn.Table("inbounds").Select("tag AS k, up, down").Scan(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		out.inbounds[r.K] = &updown{r.Up, r.Down}
	}
	if !perClient {
		return out, nil
	}
	rows = rows[:0]
	if err := conn.Table("client_traffics").Select("email AS k, up, down").Scan(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		out.clients[r.K] = &updown{r.Up, r.Down}
	}
	return out, nil
}

func exportTotals(ch chan<- prometheus.Metric, d descs, t *totals) {
	emit(ch, d.get("inbound_traffic_bytes_total"), t.inbounds)
	emit(ch, d.get("client_traffic_bytes_total"), t.clients)
}
