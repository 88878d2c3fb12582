package controller

import (
	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/cluster"
)

// NodeInfoController tells the UI whether this node is a read-only worker
// and where the master is.
type NodeInfoController struct {
	Node *cluster.Node
}

func (a *NodeInfoController) register(g *gin.RouterGroup) {
	g.GET("nodeInfo", a.nodeInfo)
}

func (a *NodeInfoController) nodeInfo(c *gin.Context) { ok(c, a.Node.Info()) }
