package cluster

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// A worker's MariaDB account must be able to write node_states (its own
// heartbeat), and MariaDB grants cannot restrict rows. So each node signs
// its row with an ed25519 key that never leaves its data folder, and the
// master registers the public key of a node id the first time it sees a
// validly signed row for it (node_keys, which only the master can write).
// Subscriptions, the snapshot's node list and the master's pushes use only
// rows signed by the registered key: a compromised worker account can
// still write a row under another node's id, but not one that verifies.

// nodeKeyFile holds the node's private key seed (base64), next to x-ui.db.
const nodeKeyFile = "node-key"

// nodeStateDomain separates these signatures from any other use of a key.
const nodeStateDomain = "x-ui node_states v1"

var nodeKey struct {
	sync.Mutex
	path string
	key  ed25519.PrivateKey
}

// NodeKey returns this node's signing key, creating it (mode 0600) on first
// use. It is cached per data folder.
func NodeKey() (ed25519.PrivateKey, error) {
	path := filepath.Join(config.GetDBFolderPath(), nodeKeyFile)
	nodeKey.Lock()
	defer nodeKey.Unlock()
	if nodeKey.key != nil && nodeKey.path == path {
		return nodeKey.key, nil
	}
	key, err := loadOrCreateNodeKey(path)
	if err != nil {
		return nil, err
	}
	nodeKey.path, nodeKey.key = path, key
	return key, nil
}

func loadOrCreateNodeKey(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		seed, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
		if derr != nil || len(seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("node key %s is damaged; delete it and let the master forget this node's key (node_keys)", path)
		}
		return ed25519.NewKeyFromSeed(seed), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read node key: %w", err)
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create node key folder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadOrCreateNodeKey(path) // another process created it first
	}
	if err != nil {
		return nil, fmt.Errorf("create node key: %w", err)
	}
	_, werr := f.WriteString(base64.StdEncoding.EncodeToString(key.Seed()) + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, fmt.Errorf("write node key: %w", werr)
	}
	return key, nil
}

// nodeStateMessage is what a signature covers: the node's identity and
// every field another node or the master acts on (the address that goes
// into subscriptions, the URL the master pushes to, and the heartbeat that
// keeps the row live, so an old signature cannot be kept alive).
func nodeStateMessage(st *model.NodeState) []byte {
	return []byte(strings.Join([]string{
		nodeStateDomain, st.NodeID, st.NodeRole, st.NodeAddress, st.PushURL, st.Instance,
		strconv.FormatInt(st.LastHeartbeatAt, 10),
	}, "\n"))
}

// SignNodeState fills PublicKey and Signature with this node's key; call
// it after the last change to the row's fields.
func SignNodeState(st *model.NodeState) error {
	key, err := NodeKey()
	if err != nil {
		return err
	}
	st.PublicKey = base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))
	st.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(key, nodeStateMessage(st)))
	return nil
}

// selfSigned reports whether the row's signature verifies with the row's
// own public key (which says nothing yet about whose key it is).
func selfSigned(st *model.NodeState) bool {
	pub, err := base64.StdEncoding.DecodeString(st.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return false
	}
	sig, err := base64.StdEncoding.DecodeString(st.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return false
	}
	return ed25519.Verify(ed25519.PublicKey(pub), nodeStateMessage(st), sig)
}

// TrustedNodeStates keeps the rows signed by the key registered for their
// node id. With register set (the master only; a worker's account cannot
// write node_keys), a validly signed row of a node id without a key
// registers its key first: trust on first use.
func TrustedNodeStates(conn *gorm.DB, states []model.NodeState, register bool) ([]model.NodeState, error) {
	keys, err := registeredKeys(conn, states)
	if err != nil {
		return nil, err
	}
	if register {
		var fresh []model.NodeKey
		now := time.Now().Unix()
		for i := range states {
			st := &states[i]
			if _, known := keys[st.NodeID]; !known && st.NodeID != "" && selfSigned(st) {
				fresh = append(fresh, model.NodeKey{NodeID: st.NodeID, PublicKey: st.PublicKey, CreatedAt: now})
			}
		}
		if len(fresh) > 0 {
			// DoNothing: if two rows race for an id, the first key stays.
			// A failed insert (an account that may not write node_keys)
			// registers nothing: those rows stay untrusted.
			if err := conn.Clauses(clause.OnConflict{DoNothing: true}).Create(&fresh).Error; err == nil {
				if keys, err = registeredKeys(conn, states); err != nil {
					return nil, err
				}
			}
		}
	}
	out := make([]model.NodeState, 0, len(states))
	for _, st := range states {
		if pub, ok := keys[st.NodeID]; ok && pub == st.PublicKey && selfSigned(&st) {
			out = append(out, st)
		}
	}
	return out, nil
}

// NodeStateTrusted is TrustedNodeStates for one row, without registering.
func NodeStateTrusted(conn *gorm.DB, st model.NodeState) bool {
	out, err := TrustedNodeStates(conn, []model.NodeState{st}, false)
	return err == nil && len(out) == 1
}

func registeredKeys(conn *gorm.DB, states []model.NodeState) (map[string]string, error) {
	ids := make([]string, 0, len(states))
	for _, st := range states {
		ids = append(ids, st.NodeID)
	}
	keys := map[string]string{}
	if len(ids) == 0 {
		return keys, nil
	}
	var rows []model.NodeKey
	if err := conn.Where("node_id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read node keys: %w", err)
	}
	for _, r := range rows {
		keys[r.NodeID] = r.PublicKey
	}
	return keys, nil
}
