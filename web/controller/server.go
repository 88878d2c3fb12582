package controller

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/logging"
	"github.com/mhsanaei/3x-ui/v2/notify"
	"github.com/mhsanaei/3x-ui/v2/ops"
	"github.com/mhsanaei/3x-ui/v2/util/applied"
	"github.com/mhsanaei/3x-ui/v2/web/middleware"
	"github.com/mhsanaei/3x-ui/v2/xrayrun"
)

// ServerController serves host status, Xray control, keys and backups.
type ServerController struct {
	Status *ops.Status
	Xray   *xrayrun.Runner
	Backup *ops.Backups
	// PanelLog is the panel's own recent log; nil answers no lines.
	PanelLog *logging.Ring
	Audit    *audit.Log // records restarts and stops (nil: none)
	// Events records backup.done for a served backup (nil: none).
	Events *notify.Recorder
}

const maxLogLines = 10000

func (a *ServerController) register(g *gin.RouterGroup) {
	g.POST("restartXrayService", a.restartXray)
	g.POST("stopXrayService", a.stopXray)
	g.GET("getConfigJson", a.getConfigJSON)
	g.GET("getDb", a.getDb)
	g.POST("importDB", a.importDB)
	// 3x-ui posts these; GET works too.
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		g.Handle(m, "status", a.status)
		g.Handle(m, "logs/:count", a.logs)
		g.Handle(m, "panelLogs/:count", a.panelLogs)
		g.Handle(m, "getNewX25519Cert", a.newX25519)
		g.Handle(m, "getNewUUID", a.newUUID)
	}
}

func (a *ServerController) status(c *gin.Context) { ok(c, a.Status.GetStatus()) }

func (a *ServerController) restartXray(c *gin.Context) {
	if err := a.Xray.RestartXray(true); err != nil {
		fail(c, err)
		return
	}
	recordAction(c, a.Audit, "xray.restart", "xray")
	okMsg(c, "xray restarted", nil)
}

func (a *ServerController) stopXray(c *gin.Context) {
	if err := a.Xray.StopXray(); err != nil {
		fail(c, err)
		return
	}
	recordAction(c, a.Audit, "xray.stop", "xray")
	okMsg(c, "xray stopped", nil)
}

// logCount reads the :count parameter of the log routes.
func logCount(c *gin.Context) (int, error) {
	n, err := strconv.Atoi(c.Param("count"))
	if err != nil || n <= 0 || n > maxLogLines {
		return 0, errs.Invalid("count", "must be between 1 and %d, got %q", maxLogLines, c.Param("count"))
	}
	return n, nil
}

func (a *ServerController) logs(c *gin.Context) {
	n, err := logCount(c)
	if err != nil {
		fail(c, err)
		return
	}
	lines := a.Xray.Logs(n)
	if lines == nil {
		lines = []string{}
	}
	ok(c, lines)
}

// panelLogs answers the panel's own last lines, oldest first, optionally
// only those at ?level= (or form level, as 3x-ui posts it) or above.
func (a *ServerController) panelLogs(c *gin.Context) {
	n, err := logCount(c)
	if err != nil {
		fail(c, err)
		return
	}
	var min config.LogLevel
	if raw := c.Query("level"); raw != "" || c.PostForm("level") != "" {
		if raw == "" {
			raw = c.PostForm("level")
		}
		lv, known := logging.ParseLevel(raw)
		if !known {
			fail(c, errs.Invalid("level", "%q is not one of debug, info, notice, warning, error", raw))
			return
		}
		min = lv
	}
	lines := []string{}
	if a.PanelLog != nil {
		lines = a.PanelLog.Lines(n, min)
	}
	ok(c, lines)
}

func (a *ServerController) getConfigJSON(c *gin.Context) {
	cfg, err := a.Xray.GetXrayConfig()
	if err != nil {
		fail(c, err)
		return
	}
	ok(c, cfg)
}

func (a *ServerController) newX25519(c *gin.Context) {
	pair, err := ops.NewX25519KeyPair()
	if err != nil {
		fail(c, err)
		return
	}
	ok(c, pair)
}

func (a *ServerController) newUUID(c *gin.Context) { ok(c, gin.H{"uuid": ops.NewUUID()}) }

// getDb streams a backup as a download: the SQLite file, or a JSON dump on
// MariaDB.
func (a *ServerController) getDb(c *gin.Context) {
	backup, err := a.Backup.CreateBackup()
	if err != nil {
		fail(c, err)
		return
	}
	defer backup.Remove()
	c.Header("Content-Type", backup.ContentType)
	c.FileAttachment(backup.Path, backup.FileName)
	if c.Writer.Status() == http.StatusOK {
		a.Events.BackupDone(notify.BackupViaDownload, backup.FileName, backup.Path, c.ClientIP())
	}
}

// importDB restores a backup from the multipart field "db" (3x-ui's form)
// or from the raw request body, then applies the new data to Xray.
func (a *ServerController) importDB(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, ops.MaxBackupBytes)
	var src io.Reader = c.Request.Body
	if ct := c.ContentType(); ct == "multipart/form-data" {
		fh, err := c.FormFile("db")
		if err != nil {
			if errors.Is(err, http.ErrMissingFile) {
				err = errs.Invalid("db", "upload the backup file in form field \"db\"")
			} else {
				err = errs.Invalid("db", "cannot read upload: %v", err)
			}
			fail(c, err)
			return
		}
		f, err := fh.Open()
		if err != nil {
			fail(c, err)
			return
		}
		defer func(f multipart.File) { f.Close() }(f)
		src = f
	}
	dryRun := c.Query("dryRun") == "true" || c.Query("dryRun") == "1"
	var r applied.Receipt
	report, err := a.Backup.WithReceipt(&r).As(middleware.Actor(c)).Import(src, dryRun)
	if err != nil {
		fail(c, err)
		return
	}
	if dryRun {
		okMsg(c, "dry run: the backup passes every check; nothing was changed", report)
		return
	}
	// The import's fan-out applied it (not a restart: a manually stopped
	// Xray stays stopped); its result is this import's own.
	if _, err := r.Result(); err != nil {
		okMsg(c, "database imported, but xray could not apply it: "+err.Error(), nil)
		return
	}
	okMsg(c, "database imported; if the backup has other credentials, log in again with them", nil)
}
