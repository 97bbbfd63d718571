package main

import (
	"fmt"

	"net/netip"

	"golang.org/x/net/netutil"

	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/accesslog"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/connlimit"
)

// privateConnections bounds the private listener's connections (health
// probes, metrics scrapes, admin calls): they fit in the descriptors kept
// in reserve (connlimit.Reserve, at least 128), so it always accepts. Past
// it, connections wait in the kernel's backlog rather than being refused.
const privateConnections = 32

// checkConnFlags checks the connection flags alone.
func (o serveOptions) checkConnFlags() error {
	if o.maxConns < 0 || o.maxClientConns < 0 || o.busyIdleTimeout < 0 || o.suspendAfter < 0 || o.suspendFor < 0 {
		return fmt.Errorf("--max-connections, --max-client-connections, --busy-idle-timeout, --suspend-after and --suspend-for must not be negative")
	}
	return nil
}

// connLimits are the limits of the public listeners: --max-connections,
// or else the descriptor limit less the reserve; --trusted-proxies are not
// limited per client.
func (o serveOptions) connLimits(v validated, refusals *accesslog.Refusals, suspensions *connlimit.Suspensions) (connlimit.Config, error) {
	logger := v.logger
	cfg := connlimit.Config{PerClient: o.maxClientConns, Global: o.maxConns, BusyIdle: o.busyIdleTimeout,
		Proxies: v.trusted, Suspensions: suspensions,
		Refused: func(client netip.Addr, why connlimit.Reason) {
			refusals.Add(client, refusalReasons[why])
		}}
	fds := connlimit.DescriptorLimit()
	room := fds - connlimit.Reserve(fds)
	switch {
	case fds == 0 && cfg.Global == 0:
		logger.Warn("the descriptor limit is unknown: connections are not limited globally; set --max-connections")
	case cfg.Global == 0 && room < 1:
		return cfg, fmt.Errorf("the descriptor limit (%d) leaves no room for connections beside the %d kept in reserve: raise it (LimitNOFILE, ulimit -n)", fds, connlimit.Reserve(fds))
	case cfg.Global == 0:
		cfg.Global = room
	case fds > 0 && cfg.Global > room:
		logger.Warn("--max-connections leaves fewer descriptors than the reserve: a connection flood can take them all, the private listener's included",
			"max_connections", cfg.Global, "descriptors", fds, "reserve", connlimit.Reserve(fds))
	}
	logger.Info("connection limits", "max_connections", cfg.Global, "max_client_connections", cfg.PerClient,
		"busy_idle_timeout", cfg.BusyIdle, "descriptors", fds)
	return cfg, nil
}

// refusalReasons are the access log's reasons of the connection limits'.
var refusalReasons = [...]accesslog.Reason{
	connlimit.ClientLimit: accesslog.ClientConns,
	connlimit.GlobalLimit: accesslog.AllConns,
	connlimit.Suspended:   accesslog.Suspended,
}

// suspensions are those of --suspend-after and --suspend-for, for clients
// that are not --trusted-proxies; nil when off.
func (o serveOptions) suspensions() *connlimit.Suspensions {
	return connlimit.NewSuspensions(o.suspendAfter, o.suspendFor)
}

// limit wraps the public listeners in limiter and bounds the private one.
func (l *listeners) limit(limiter *connlimit.Limiter) {
	l.mainLn = limiter.Listen(l.mainLn)
	if l.plainLn != nil {
		l.plainLn = limiter.Listen(l.plainLn)
	}
	if l.privateLn != nil {
		l.privateLn = netutil.LimitListener(l.privateLn, privateConnections)
	}
}
