package inbound

import (
	"encoding/json"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/xray/users"
)

// The read views 3x-ui v3.6 added for its inbounds page and client forms
// (inbounds/list/slim, inbounds/options).

// InboundOption is one entry of inbounds/options, with v3.6's keys: what
// a client form needs to offer an inbound. v3's WireGuard, MTProto and
// remote-node keys are left out, as v3 leaves them out when empty: no
// inbound here has them.
type InboundOption struct {
	Id             int    `json:"id"`
	Remark         string `json:"remark"`
	Tag            string `json:"tag"`
	Protocol       string `json:"protocol"`
	Port           int    `json:"port"`
	Enable         bool   `json:"enable"`
	TlsFlowCapable bool   `json:"tlsFlowCapable"`
	SsMethod       string `json:"ssMethod"`
	Listen         string `json:"listen,omitempty"`
}

// InboundOptions lists every inbound as an InboundOption, by id. Only the
// columns it shows are read, and settings only for their top-level keys.
func (s *Store) InboundOptions() ([]InboundOption, error) {
	conn, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	var rows []model.Inbound
	err = conn.Select("id", "remark", "tag", "protocol", "port", "enable", "listen", "settings", "stream_settings").
		Order("id").Find(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]InboundOption, len(rows))
	for i := range rows {
		r := &rows[i]
		fields, _ := users.ParseStoredSettings([]byte(r.Settings)) // unreadable: no method, no flow
		o := InboundOption{Id: r.Id, Remark: r.Remark, Tag: r.Tag, Protocol: string(r.Protocol),
			Port: r.Port, Enable: r.Enable, Listen: r.Listen}
		if r.Protocol == model.Shadowsocks {
			o.SsMethod, _ = fields.String("method")
		}
		o.TlsFlowCapable = tlsFlowCapable(r.Protocol, r.StreamSettings, fields)
		out[i] = o
	}
	return out, nil
}

// tlsFlowCapable says whether a VLESS client of this inbound may use the
// xtls-rprx-vision flow, as v3's client form decides it: TCP with TLS or
// REALITY, or XHTTP with VLESS encryption (whose ML-KEM layer stands in
// for the TLS Vision needs). Xray reads a missing network as TCP and
// "raw" is its newer name for it.
func tlsFlowCapable(p model.Protocol, stream string, settings users.Fields) bool {
	if p != model.VLESS {
		return false
	}
	var st struct {
		Network  string `json:"network"`
		Security string `json:"security"`
	}
	if json.Unmarshal([]byte(stream), &st) != nil {
		return false
	}
	switch st.Network {
	case "", "tcp", "raw":
		return st.Security == "tls" || st.Security == "reality"
	case "xhttp":
		for _, key := range []string{"decryption", "encryption"} {
			if v, _ := settings.String(key); v != "" && v != "none" {
				return true
			}
		}
	}
	return false
}

// SlimClients cuts each client in the inbound's settings down to what v3's
// inbounds list shows (email, enable, and comment when not empty), as
// inbounds/list/slim answers; the full clients stay on get/:id.
func SlimClients(in *model.Inbound) error {
	doc, err := parseStoredSettings(in.Settings)
	if err != nil {
		return err
	}
	raws, err := doc.clientList()
	if err != nil || len(raws) == 0 {
		return err
	}
	slim := make([]json.RawMessage, 0, len(raws))
	for _, raw := range raws {
		var full map[string]json.RawMessage
		if json.Unmarshal(raw, &full) != nil {
			continue
		}
		cut := map[string]json.RawMessage{}
		for _, k := range []string{"email", "enable"} {
			if v, ok := full[k]; ok {
				cut[k] = v
			}
		}
		if v, ok := full["comment"]; ok && string(v) != `""` && string(v) != "null" {
			cut["comment"] = v
		}
		data, err := json.Marshal(cut)
		if err != nil {
			return err
		}
		slim = append(slim, data)
	}
	doc.setClients(slim)
	in.Settings, err = doc.encode()
	return err
}
