package ops

import (
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/xray"
)

// GetClientsLastOnline maps each client email to when it was last seen
// online (ms since epoch, 0 = never), for inbounds/lastOnline.
func GetClientsLastOnline() (map[string]int64, error) {
	conn, err := database.Conn()
	if err != nil {
		return nil, err
	}
	var rows []xray.ClientTraffic
	if err := conn.Select("email", "last_online").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Email] = r.LastOnline
	}
	return out, nil
}
