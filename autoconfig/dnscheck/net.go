package dnscheck

import (
	"context"

	"github.com/mailautoconf/mailautoconf/autoconfig/probe"
)

// fetchResult is one HTTP exchange of the check: the answer, or why there
// was none.
type fetchResult = probe.Result

// checkRun is the state of one Check: its probe session makes every DNS
// answer and HTTP fetch once, shared by the record checks and every client
// chain that needs it, under the check's one deadline.
type checkRun struct {
	c     *Checker
	probe *probe.Session
}

func newCheckRun(ctx context.Context, c *Checker) *checkRun {
	return &checkRun{c: c, probe: probe.New(ctx, probe.Config{
		Resolver:      c.Resolver,
		Timeout:       c.timeout(),
		AllowInternal: c.AllowInternal,
		RootCAs:       c.RootCAs,
		PortMap:       c.PortMap,
		MaxBody:       maxDocument,
	})}
}
