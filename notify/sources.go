package notify

import (
	"context"

	"github.com/mhsanaei/3x-ui/v2/traffic"
	"gorm.io/gorm"
)

// ClientsDisabled records client.depleted or client.expired for each
// client the traffic rules disabled, in the rules' own transaction
// (traffic.FlushDeps.ClientsDisabled): the events exist exactly when the
// clients were disabled.
func (r *Recorder) ClientsDisabled(tx *gorm.DB, clients []traffic.DisabledClient) error {
	if r == nil {
		return nil
	}
	for _, c := range clients {
		kind := ClientExpired
		if c.Reason == traffic.ReasonDepleted {
			kind = ClientDepleted
		}
		if _, err := r.Record(context.Background(), tx, New(kind, c)); err != nil {
			return err
		}
	}
	return nil
}
