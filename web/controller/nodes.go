package controller

import (
	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/cluster"
)

// NodesController lists the nodes sharing this database.
type NodesController struct {
	Node *cluster.Node
}

func (a *NodesController) register(g *gin.RouterGroup) {
	g.GET("list", a.list)
}

// list answers every node's applied version, lag and staleness.
func (a *NodesController) list(c *gin.Context) {
	overview, err := a.Node.ListNodes()
	replyObj(c, overview, err)
}
