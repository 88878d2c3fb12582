package controller

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// registerUI mounts the React app: the login route, the panel routes (the
// app's own router picks the page) and the hashed assets.
func (p *PageController) registerUI(base *gin.RouterGroup) {
	login := func(c *gin.Context) {
		if p.Auth.LoggedIn(c) {
			c.Redirect(http.StatusTemporaryRedirect, p.BasePath+"panel/")
			return
		}
		p.UI.serveIndex(c)
	}
	base.GET("", login)
	base.GET("login", login)
	base.GET("assets/*filepath", p.UI.serveAsset)
	base.GET("panel/", p.appPage)
	base.GET("panel", func(c *gin.Context) { c.Redirect(http.StatusTemporaryRedirect, p.BasePath+"panel/") })
}

// appPage serves the app to a logged-in browser and sends others to login.
func (p *PageController) appPage(c *gin.Context) {
	if !p.Auth.LoggedIn(c) {
		c.Redirect(http.StatusTemporaryRedirect, p.BasePath)
		return
	}
	p.UI.serveIndex(c)
}
