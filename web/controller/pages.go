package controller

import (
	"bytes"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/web/assets"
	"github.com/mhsanaei/3x-ui/v2/web/middleware"
)

// PageController serves the login page and the placeholder panel page.
type PageController struct {
	Auth     *middleware.Authenticator
	BasePath string
	UI       *spa          // the built React UI; nil serves the fallback pages
	Node     *cluster.Node // this node's role, shown on the panel page
}

func (p *PageController) register(base *gin.RouterGroup) {
	if p.UI != nil {
		p.registerUI(base)
		return
	}
	base.GET("", p.loginPage)
	base.GET("login", p.loginPage)
	panel := base.Group("panel", p.Auth.Page(p.BasePath))
	panel.GET("/", p.panelPage)
}

func (p *PageController) loginPage(c *gin.Context) {
	if p.Auth.LoggedIn(c) {
		c.Redirect(http.StatusTemporaryRedirect, p.BasePath+"panel/")
		return
	}
	p.render(c, "login.html")
}

// panelPageData adds the node's role to the common page data, so a worker's
// panel says it is read-only and where the master is.
type panelPageData struct {
	assets.PageData
	Node cluster.NodeInfo
}

func (p *PageController) panelPage(c *gin.Context) {
	p.renderData(c, "panel.html", panelPageData{PageData: p.pageData(c), Node: p.Node.Info()})
}

func (p *PageController) pageData(c *gin.Context) assets.PageData {
	return assets.PageData{Title: config.GetName(), BasePath: p.BasePath, Version: config.GetVersion(),
		Nonce: c.GetString(middleware.CSPNonceKey)}
}

func (p *PageController) render(c *gin.Context, name string) { p.renderData(c, name, p.pageData(c)) }

func (p *PageController) renderData(c *gin.Context, name string, data any) {
	var buf bytes.Buffer
	if err := assets.Pages.ExecuteTemplate(&buf, name, data); err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}
