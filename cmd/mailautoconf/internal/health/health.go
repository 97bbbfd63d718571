// Package health answers the liveness and readiness probes of a process
// supervisor or load balancer.
package health

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
)

// Paths of the probes.
const (
	LivePath  = "/healthz"
	ReadyPath = "/readyz"
)

// Check reports why the service cannot serve at time now, or nil.
type Check func(now time.Time) error

// Register adds /healthz (the process answers) and /readyz (every check
// passes: configuration loaded, certificate valid) to r.
func Register(r gin.IRouter, checks ...Check) {
	live := func(c *gin.Context) {
		httpkit.WriteText(c, http.StatusOK, "ok")
	}
	ready := func(c *gin.Context) {
		now := time.Now()
		for _, check := range checks {
			if err := check(now); err != nil {
				httpkit.WriteText(c, http.StatusServiceUnavailable, "not ready: "+err.Error())
				return
			}
		}
		httpkit.WriteText(c, http.StatusOK, "ready")
	}
	r.GET(LivePath, live)
	r.HEAD(LivePath, live)
	r.GET(ReadyPath, ready)
	r.HEAD(ReadyPath, ready)
}
