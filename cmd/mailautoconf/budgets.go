package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/mxlookup"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/ratelimit"
)

// mxClient tells the MX resolver which client a request comes from, for its
// per-client budget of queries (mxlookup.Budget). The server sets the
// connection's peer once per connection (connClient); a request carries its
// own client only when that is someone else: a client forwarded by a
// trusted proxy, or a request made without the server (tests). Requests
// cost nothing more when no provider accepts domains by MX.
func (s site) mxClient() gin.HandlerFunc {
	forwarded := len(s.trustedProxies) > 0
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		if !s.store.Config().AcceptsMX() || (!forwarded && mxlookup.HasClient(ctx)) {
			c.Next()
			return
		}
		c.Request = c.Request.WithContext(mxlookup.WithClient(ctx, ratelimit.ClientKey(c.ClientIP())))
		c.Next()
	}
}

// connClient is the http.Server's ConnContext: the MX budget's client of
// every request on the connection is its peer, keyed once.
func connClient(ctx context.Context, conn net.Conn) context.Context {
	ap, err := netip.ParseAddrPort(conn.RemoteAddr().String())
	if err != nil {
		return ctx
	}
	return mxlookup.WithClient(ctx, ratelimit.ClientKey(ap.Addr().String()))
}

// mxBudget reads the --mx-rate and --mx-global-rate flags into a budget.
func mxBudget(perClient, global string) (mxlookup.Budget, error) {
	b := mxlookup.DefaultBudget
	client, err := ratelimit.ParseRate(perClient)
	if err != nil {
		return b, fmt.Errorf("--mx-rate: %w", err)
	}
	all, err := ratelimit.ParseRate(global)
	if err != nil {
		return b, fmt.Errorf("--mx-global-rate: %w", err)
	}
	b.PerClient, b.Global = rate.Limit(client), rate.Limit(all)
	return b, nil
}

// setRenderBudget applies --render-slots, --render-queue (0: the default
// sized from the CPU count) and --render-wait, validated by the caller.
func setRenderBudget(slots, queue int, wait time.Duration) {
	b := httpkit.DefaultRenderBudget()
	if slots == 0 && queue == 0 && wait == b.Wait {
		return
	}
	b.Wait = wait
	if slots > 0 {
		b.Slots, b.Queue = slots, 8*slots
	}
	if queue > 0 {
		b.Queue = queue
	}
	httpkit.SetRenderBudget(b)
}
