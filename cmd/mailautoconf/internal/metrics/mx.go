package metrics

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mailautoconf/mailautoconf/autoconfig/dnsbudget"
)

// budgetCollector reads the counters of one user of a DNS budget
// (dnsbudget) at each scrape: the lookup path itself only adds to atomics.
// It is registered from the start (zeros until watched), so that the
// series exist and alert rules can name them.
type budgetCollector struct {
	stats                   atomic.Pointer[func() dnsbudget.Stats]
	queries, hits, refusals *prometheus.Desc
}

// newBudgetCollector names its series mailautoconf_<prefix>_…; what says
// what the lookups are for.
func newBudgetCollector(prefix, what string) *budgetCollector {
	return &budgetCollector{
		queries: prometheus.NewDesc("mailautoconf_"+prefix+"_lookups_total",
			"DNS queries sent for "+what+", by result (success: an answer, with or without records; failure: timeout, SERVFAIL, unreachable resolver).", []string{"result"}, nil),
		hits: prometheus.NewDesc("mailautoconf_"+prefix+"_negative_cache_hits_total",
			"Lookups of "+what+" answered by the negative cache (no records, NXDOMAIN, recent failure).", nil, nil),
		refusals: prometheus.NewDesc("mailautoconf_"+prefix+"_budget_refusals_total",
			"Lookups of "+what+" refused because a budget was spent, by limit (client, global, in_flight).", []string{"limit"}, nil),
	}
}

func newMXCollector() *budgetCollector {
	return newBudgetCollector("mx", "MX lookups of unlisted domains (accept.mx)")
}

func newCertPointerCollector() *budgetCollector {
	return newBudgetCollector("cert_pointer", "whether a certificate name points at the service host (A, AAAA, CNAME)")
}

// WatchMX exposes the counters of the accept.mx resolver: DNS queries sent
// by result, lookups answered by the negative cache, and lookups refused by
// the budget, by the limit that refused them.
func (m *Metrics) WatchMX(stats func() dnsbudget.Stats) { m.mx.stats.Store(&stats) }

// WatchCertPointer exposes the same counters of the certificate policy's
// check that a name points at the service host, which spends its own
// budget of the same resolver.
func (m *Metrics) WatchCertPointer(stats func() dnsbudget.Stats) {
	m.certPointer.stats.Store(&stats)
}

func (c *budgetCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.queries
	ch <- c.hits
	ch <- c.refusals
}

func (c *budgetCollector) Collect(ch chan<- prometheus.Metric) {
	var s dnsbudget.Stats
	if f := c.stats.Load(); f != nil {
		s = (*f)()
	}
	ch <- prometheus.MustNewConstMetric(c.queries, prometheus.CounterValue, float64(s.Queries-s.Failed), "success")
	ch <- prometheus.MustNewConstMetric(c.queries, prometheus.CounterValue, float64(s.Failed), "failure")
	ch <- prometheus.MustNewConstMetric(c.hits, prometheus.CounterValue, float64(s.NegativeHits))
	for _, limit := range []string{dnsbudget.LimitClient, dnsbudget.LimitGlobal, dnsbudget.LimitInFlight} {
		ch <- prometheus.MustNewConstMetric(c.refusals, prometheus.CounterValue, float64(s.Refused[limit]), limit)
	}
}
