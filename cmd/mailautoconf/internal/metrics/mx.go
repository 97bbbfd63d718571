package metrics

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mailautoconf/mailautoconf/autoconfig/mxlookup"
)

// mxCollector reads the MX resolver's counters at each scrape: the lookup
// path itself only adds to atomics. It is registered from the start (zeros
// until WatchMX), so that the series exist and alert rules can name them.
type mxCollector struct {
	stats                   atomic.Pointer[func() mxlookup.Stats]
	queries, hits, refusals *prometheus.Desc
}

func newMXCollector() *mxCollector {
	return &mxCollector{
		queries: prometheus.NewDesc("mailautoconf_mx_lookups_total",
			"DNS queries sent for MX lookups of unlisted domains (accept.mx), by result (success: an answer, with or without MX; failure: timeout, SERVFAIL, unreachable resolver).", []string{"result"}, nil),
		hits: prometheus.NewDesc("mailautoconf_mx_negative_cache_hits_total",
			"MX lookups answered by the negative cache (no MX, NXDOMAIN of the name or of a name above it, recent failure).", nil, nil),
		refusals: prometheus.NewDesc("mailautoconf_mx_budget_refusals_total",
			"MX lookups refused because a budget was spent, by limit (client, global, in_flight).", []string{"limit"}, nil),
	}
}

// WatchMX exposes the counters of the accept.mx resolver: DNS queries sent
// by result, lookups answered by the negative cache, and lookups refused by
// the budget, by the limit that refused them.
func (m *Metrics) WatchMX(stats func() mxlookup.Stats) { m.mx.stats.Store(&stats) }

func (c *mxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.queries
	ch <- c.hits
	ch <- c.refusals
}

func (c *mxCollector) Collect(ch chan<- prometheus.Metric) {
	var s mxlookup.Stats
	if f := c.stats.Load(); f != nil {
		s = (*f)()
	}
	ch <- prometheus.MustNewConstMetric(c.queries, prometheus.CounterValue, float64(s.Queries-s.Failed), "success")
	ch <- prometheus.MustNewConstMetric(c.queries, prometheus.CounterValue, float64(s.Failed), "failure")
	ch <- prometheus.MustNewConstMetric(c.hits, prometheus.CounterValue, float64(s.NegativeHits))
	for _, limit := range []string{mxlookup.LimitClient, mxlookup.LimitGlobal, mxlookup.LimitInFlight} {
		ch <- prometheus.MustNewConstMetric(c.refusals, prometheus.CounterValue, float64(s.Refused[limit]), limit)
	}
}
