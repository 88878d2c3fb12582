// Package controller holds the panel's thin HTTP handlers: they bind input,
// call a service and answer with the 3x-ui envelope
// {"success":bool,"msg":string,"obj":any} and a real status code.
package controller

import (
	"errors"
	"github.com/mhsanaei/3x-ui/v2/util/applied"
	"log"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/xrayrun"
)

// Msg is the envelope every API answer uses.
type Msg struct {
	Success bool   `json:"success"`
	Msg     string `json:"msg"`
	Obj     any    `json:"obj"`
	// Applied is set on writes: false when the change is stored but did
	// not reach Xray, with Reason saying why (the UI shows it).
	Applied *bool  `json:"applied,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

func ok(c *gin.Context, obj any) { c.JSON(http.StatusOK, Msg{Success: true, Obj: obj}) }

func okMsg(c *gin.Context, msg string, obj any) {
	c.JSON(http.StatusOK, Msg{Success: true, Msg: msg, Obj: obj})
}

func failStatus(c *gin.Context, status int, msg string) {
	c.AbortWithStatusJSON(status, Msg{Success: false, Msg: msg})
}

// fail maps a service error to its status; anything unclassified is a 500
// whose message is still shown (it helps an admin, and holds no secret).
func fail(c *gin.Context, err error) {
	failStatus(c, statusOf(err), err.Error())
	if statusOf(err) == http.StatusInternalServerError {
		log.Printf("%s %s: %v", c.Request.Method, c.FullPath(), err)
	}
}

func statusOf(err error) int {
	switch errs.KindOf(err) {
	case errs.KindInvalid:
		return http.StatusBadRequest
	case errs.KindNotFound:
		return http.StatusNotFound
	case errs.KindConflict:
		return http.StatusConflict
	case errs.KindForbidden:
		return http.StatusForbidden
	}
	var me *errMaxBytes
	if errors.As(err, &me) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

type errMaxBytes struct{ limit int64 }

func (e *errMaxBytes) Error() string {
	return "request body larger than " + strconv.FormatInt(e.limit, 10) + " bytes"
}

// intParam reads a positive integer path parameter, naming it on error.
func intParam(c *gin.Context, name string) (int, error) {
	v, err := strconv.Atoi(c.Param(name))
	if err != nil || v <= 0 {
		return 0, errs.Invalid(name, "must be a positive integer, got %q", c.Param(name))
	}
	return v, nil
}

// intQuery reads an optional non-negative integer query parameter.
func intQuery(c *gin.Context, name string, fallback int) (int, error) {
	raw, present := c.GetQuery(name)
	if !present || raw == "" {
		return fallback, nil
	}
	v, err := strconv.Atoi(raw)
	if err != nil || v < 0 {
		return 0, errs.Invalid(name, "must be a non-negative integer, got %q", raw)
	}
	return v, nil
}

// reply answers err as a failure, or msg and obj as a success.
func reply(c *gin.Context, err error, msg string, obj any) {
	if err != nil {
		fail(c, err)
		return
	}
	okMsg(c, msg, obj)
}

// ApplyReporter turns one write's apply result into its outcome.
type ApplyReporter interface {
	Outcome(ran bool, err error) xrayrun.ApplyOutcome
}

// replyWrite answers a write: a failure, or success with applied true, or
// false plus the reason when the live apply after the commit failed. The
// outcome is this write's own, from its receipt r.
func replyWrite(c *gin.Context, x ApplyReporter, r *applied.Receipt, err error, msg string, obj any) {
	if err != nil {
		fail(c, err)
		return
	}
	m := Msg{Success: true, Msg: msg, Obj: obj}
	if x != nil {
		out := x.Outcome(r.Result())
		m.Applied, m.Reason = &out.Applied, out.Reason
		if !out.Applied {
			m.Msg += " (stored, not applied to Xray: " + out.Reason + ")"
		}
	}
	c.JSON(http.StatusOK, m)
}

// replyObj answers err as a failure, or obj as a success.
func replyObj[T any](c *gin.Context, obj T, err error) {
	if err != nil {
		fail(c, err)
		return
	}
	ok(c, obj)
}

// with parses a request value and runs fn with it, answering a parse
// error (which names the field) itself.
func with[T any](c *gin.Context, parse func(*gin.Context) (T, error), fn func(T)) {
	v, err := parse(c)
	if err != nil {
		fail(c, err)
		return
	}
	fn(v)
}

// idParam reads the :id path parameter.
func idParam(c *gin.Context) (int, error) { return intParam(c, "id") }

// bodyInbound binds the request body as an inbound: form fields, or JSON
// whose settings, streamSettings and sniffing are strings (v2) or objects
// (v3), see decodeInbound.
func bodyInbound(c *gin.Context) (*model.Inbound, error) {
	if !isJSON(c.Request) {
		in := &model.Inbound{}
		return in, bind(c, in)
	}
	body, err := readJSONBody(c)
	if err != nil {
		return nil, err
	}
	return decodeInbound(body)
}

// bodyClientData binds 3x-ui's client-call shape {"id": inboundId,
// "settings": "{\"clients\":[...]}"} and requires the inbound id.
func bodyClientData(c *gin.Context) (*model.Inbound, error) {
	in, err := bodyInbound(c)
	if err == nil && in.Id <= 0 {
		err = errs.Invalid("id", "inbound id is required")
	}
	return in, err
}
