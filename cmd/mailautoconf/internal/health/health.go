// Package health answers the liveness and readiness probes of a process
// supervisor or load balancer.
package health

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
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
		c.Header("Cache-Control", "no-store")
		c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte("ok\n"))
	}
	ready := func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		now := time.Now()
		for _, check := range checks {
			if err := check(now); err != nil {
				c.Data(http.StatusServiceUnavailable, "text/plain; charset=utf-8", []byte("not ready: "+err.Error()+"\n"))
				return
			}
		}
		c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte("ready\n"))
	}
	r.GET(LivePath, live)
	r.HEAD(LivePath, live)
	r.GET(ReadyPath, ready)
	r.HEAD(ReadyPath, ready)
}
