package app

import (
	"os"
	"testing"

	"github.com/gin-gonic/gin"
)

// TestMain points the folders x-ui.json and Xray's files would live in at
// a temp folder, so a test App that writes one by mistake never reaches
// /etc/x-ui, and sets gin's process-wide mode once, before parallel tests
// build handlers.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "x-ui-web-test-")
	if err != nil {
		panic(err)
	}
	for _, k := range []string{"XUI_DB_FOLDER", "XUI_BIN_FOLDER", "XUI_LOG_FOLDER"} {
		os.Setenv(k, dir)
	}
	gin.SetMode(gin.ReleaseMode)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
