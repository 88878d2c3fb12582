package controller

import (
	"strconv"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/web/session"
)

// SessionCred is the credential a session of user carries: it changes with
// the username, the password hash and the session epoch (bumped by
// logout), so any of them changing ends every existing session, on every
// node and across restarts.
func SessionCred(user *model.User) string {
	return session.Fingerprint(user.Username, user.Password+"\x00epoch="+strconv.FormatInt(user.SessionEpoch, 10))
}
