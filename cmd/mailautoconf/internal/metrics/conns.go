package metrics

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/connlimit"
)

// connCollector reads the connection limiter's counts at each scrape. It
// is registered from the start (zeros until WatchConnections), so that the
// series exist and alert rules can name them. Refused connections are
// counted in mailautoconf_refused_total.
type connCollector struct {
	stats                   atomic.Pointer[func() connlimit.Stats]
	suspensions             atomic.Pointer[func() connlimit.SuspensionStats]
	open, limit, idleClosed *prometheus.Desc
	suspended, suspendedAll *prometheus.Desc
}

func newConnCollector() *connCollector {
	return &connCollector{
		open: prometheus.NewDesc("mailautoconf_connections_open",
			"Connections open on the public listeners (--listen and --http-listen).", nil, nil),
		limit: prometheus.NewDesc("mailautoconf_connections_limit",
			"Connections the public listeners may hold open together (--max-connections); 0: no limit.", nil, nil),
		idleClosed: prometheus.NewDesc("mailautoconf_connections_idle_closed_total",
			"Idle keep-alive connections closed early: past half the limit (--busy-idle-timeout), or to make room at the limit.", nil, nil),
		suspended: prometheus.NewDesc("mailautoconf_clients_suspended",
			"Clients whose connections are closed at accept now, refused too often (--suspend-after).", nil, nil),
		suspendedAll: prometheus.NewDesc("mailautoconf_client_suspensions_total",
			"Clients suspended for --suspend-for, refused too often (--suspend-after).", nil, nil),
	}
}

// WatchConnections exposes the counts of the public listeners' limiter.
func (m *Metrics) WatchConnections(stats func() connlimit.Stats) { m.conns.stats.Store(&stats) }

// WatchSuspensions exposes the counts of the clients suspended.
func (m *Metrics) WatchSuspensions(stats func() connlimit.SuspensionStats) {
	m.conns.suspensions.Store(&stats)
}

func (c *connCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.open
	ch <- c.limit
	ch <- c.idleClosed
	ch <- c.suspended
	ch <- c.suspendedAll
}

func (c *connCollector) Collect(ch chan<- prometheus.Metric) {
	var s connlimit.Stats
	if f := c.stats.Load(); f != nil {
		s = (*f)()
	}
	ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(s.Open))
	ch <- prometheus.MustNewConstMetric(c.limit, prometheus.GaugeValue, float64(s.Limit))
	ch <- prometheus.MustNewConstMetric(c.idleClosed, prometheus.CounterValue, float64(s.IdleClosed))
	var ss connlimit.SuspensionStats
	if f := c.suspensions.Load(); f != nil {
		ss = (*f)()
	}
	ch <- prometheus.MustNewConstMetric(c.suspended, prometheus.GaugeValue, float64(ss.Suspended))
	ch <- prometheus.MustNewConstMetric(c.suspendedAll, prometheus.CounterValue, float64(ss.Total))
}
