// Package metrics holds the service's Prometheus collectors and the gin
// middleware that fills them. Labels are bounded: routes are gin route
// patterns, never raw URLs, so a scanner cannot grow the series count.
package metrics

import (
	"crypto/x509"
	"net/http"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mailautoconf/mailautoconf/autoconfig/autodiscover"
)

// NoRoute is the route label of requests that matched no route.
const NoRoute = "(no route)"

// Metrics is one registry with every collector of the service. Each test
// builds its own, so nothing is global.
type Metrics struct {
	Registry *prometheus.Registry

	requests       *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	reloads        *prometheus.CounterVec
	lastReload     prometheus.Gauge
	certExpiry     *prometheus.GaugeVec
	rateLimited    *prometheus.CounterVec
	refused        *prometheus.CounterVec
	mx             *budgetCollector
	certPointer    *budgetCollector
	conns          *connCollector
	certIssued     *prometheus.CounterVec
	certFailed     *prometheus.CounterVec
	certDecisions  *prometheus.CounterVec
	formatForRoute func(route string) string
	// autodiscoverSchemas counts POX requests by the schema they ask for,
	// indexed by autodiscover.Schema: resolved once, as they are counted on
	// every request.
	autodiscoverSchemas [autodiscover.SchemaOther + 1]prometheus.Counter

	// series caches the collectors of each (route, status): resolving
	// label values hashes them, on every request otherwise. Routes and
	// statuses are few, so it stays small.
	series sync.Map // routeStatus → *requestSeries

	// collectors are the service's own collectors, for Names.
	collectors []prometheus.Collector
}

// register registers the collectors and keeps them for Names.
func (m *Metrics) register(cs ...prometheus.Collector) {
	m.collectors = append(m.collectors, cs...)
	m.Registry.MustRegister(cs...)
}

// fqName is the name in a descriptor's description, which the client
// library prints as Desc{fqName: "…", …}.
var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

// Names lists the names of every metric the service can export, series or
// not: alert rules and dashboards are checked against it.
func (m *Metrics) Names() []string {
	ch := make(chan *prometheus.Desc, 64)
	go func() {
		for _, c := range m.collectors {
			c.Describe(ch)
		}
		close(ch)
	}()
	var out []string
	for d := range ch {
		if g := fqName.FindStringSubmatch(d.String()); g != nil {
			out = append(out, g[1])
		}
	}
	return out
}

type routeStatus struct {
	route  string
	status int
}

type requestSeries struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// New registers the collectors. version labels the build-info gauge;
// formatForRoute names the document format of a route pattern.
func New(version string, formatForRoute func(route string) string) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mailautoconf_http_requests_total",
			Help: "HTTP requests by route pattern, document format and status code.",
		}, []string{"route", "format", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mailautoconf_http_request_duration_seconds",
			Help: "Time to answer an HTTP request, by route pattern and document format.",
			// Thunderbird gives up on a URL after 5 s.
			Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5},
		}, []string{"route", "format"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mailautoconf_config_reloads_total",
			Help: "Configuration reloads by result (success or failure).",
		}, []string{"result"}),
		lastReload: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mailautoconf_config_last_reload_success_timestamp_seconds",
			Help: "Unix time of the last successful configuration load.",
		}),
		certExpiry: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "mailautoconf_certificate_expiry_timestamp_seconds",
			Help: "Unix time at which each TLS certificate loaded or served expires, by its first DNS name.",
		}, []string{"certificate"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mailautoconf_rate_limited_requests_total",
			Help: "Requests refused with 429 by the per-client rate limit, by route pattern.",
		}, []string{"route"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mailautoconf_refused_total",
			Help: "Requests and connections refused, by reason (rate_limited, too_large, busy, tls_handshake, timeout, bad_connection, client_connections, connections, bad_request, not_found, method_not_allowed, unauthorized, forbidden); the log sums them up per client and interval.",
		}, []string{"reason"}),
		mx:          newMXCollector(),
		certPointer: newCertPointerCollector(),
		conns:       newConnCollector(),
		certIssued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mailautoconf_certificates_obtained_total",
			Help: "Certificates obtained from the ACME CA by this instance, by kind (issued: a new name; renewed).",
		}, []string{"kind"}),
		certFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mailautoconf_certificate_failures_total",
			Help: "Failed attempts to obtain or renew a certificate, by reason (the ACME problem type, timeout, on_demand_rate_limited, other).",
		}, []string{"reason"}),
		certDecisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mailautoconf_certificate_decisions_total",
			Help: "Decisions on whether a host name may get a certificate (on-demand issuance and GET /tls/allowed), by result and reason.",
		}, []string{"result", "reason"}),
		formatForRoute: formatForRoute,
	}
	schemas := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mailautoconf_autodiscover_requests_total",
		Help: "Autodiscover POX requests that could be read, by the response schema asked for (outlook, mobilesync: the new Outlook for Windows, answered error 601; other).",
	}, []string{"schema"})
	for _, s := range []autodiscover.Schema{autodiscover.SchemaOutlook, autodiscover.SchemaMobileSync, autodiscover.SchemaOther} {
		m.autodiscoverSchemas[s] = schemas.WithLabelValues(s.String())
	}
	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "mailautoconf_build_info",
		Help: "Always 1; the labels name the running build.",
	}, []string{"version", "goversion"})
	buildInfo.WithLabelValues(version, runtime.Version()).Set(1)
	// Both results exist from the start, so a rate() of failures is 0, not
	// absent, on a service that never failed.
	m.reloads.WithLabelValues("success")
	m.reloads.WithLabelValues("failure")
	m.certIssued.WithLabelValues("issued")
	m.certIssued.WithLabelValues("renewed")
	m.register(m.requests, m.duration, m.reloads, m.lastReload, m.certExpiry, m.rateLimited, schemas,
		m.certIssued, m.certFailed, m.certDecisions, m.refused, m.mx, m.certPointer, m.conns, buildInfo,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Observe counts a request answered with status on route (a route
// pattern; "" when none matched, counted as NoRoute) and records how long
// it took. The access log's middleware calls it with its own timing: one
// clock reading for both.
func (m *Metrics) Observe(route string, status int, d time.Duration) {
	if route == "" {
		route = NoRoute
	}
	s := m.seriesFor(route, status)
	s.requests.Inc()
	s.duration.Observe(d.Seconds())
}

func (m *Metrics) seriesFor(route string, status int) *requestSeries {
	key := routeStatus{route, status}
	if s, ok := m.series.Load(key); ok {
		return s.(*requestSeries)
	}
	// The format of a request that matched no route is asked for as "".
	format := m.formatForRoute(strings.TrimPrefix(route, NoRoute))
	s, _ := m.series.LoadOrStore(key, &requestSeries{
		requests: m.requests.WithLabelValues(route, format, strconv.Itoa(status)),
		duration: m.duration.WithLabelValues(route, format),
	})
	return s.(*requestSeries)
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// ConfigLoaded records the configuration put in force at start-up.
func (m *Metrics) ConfigLoaded(t time.Time) { m.lastReload.Set(float64(t.Unix())) }

// ReloadSucceeded records a reload put in force at t.
func (m *Metrics) ReloadSucceeded(t time.Time) {
	m.reloads.WithLabelValues("success").Inc()
	m.ConfigLoaded(t)
}

// ReloadFailed records a configuration reload that was refused.
func (m *Metrics) ReloadFailed() { m.reloads.WithLabelValues("failure").Inc() }

// CertificateExpires records when leaf expires, labelled by its first DNS
// name: the one label scheme for certificates read from files and obtained
// by ACME alike, so that a renewal overwrites its predecessor's series.
func (m *Metrics) CertificateExpires(leaf *x509.Certificate) {
	if name := certificateName(leaf); name != "" {
		m.certExpiry.WithLabelValues(name).Set(float64(leaf.NotAfter.Unix()))
	}
}

// CertificateFileLoaded returns the callback for one certificate file
// (certs.Load): it records each certificate read and drops the series of
// the previous one when a renewal changed the name, which would otherwise
// keep its old expiry and set off the expiry alert.
func (m *Metrics) CertificateFileLoaded() func(leaf *x509.Certificate) {
	var mu sync.Mutex
	previous := ""
	return func(leaf *x509.Certificate) {
		mu.Lock()
		defer mu.Unlock()
		name := certificateName(leaf)
		if previous != "" && previous != name {
			m.certExpiry.DeleteLabelValues(previous)
		}
		m.CertificateExpires(leaf)
		previous = name
	}
}

// certificateName is the first DNS name of leaf, or its common name when it
// has none (clients refuse such a certificate, but its expiry is still
// worth watching).
func certificateName(leaf *x509.Certificate) string {
	switch {
	case leaf == nil:
		return ""
	case len(leaf.DNSNames) > 0:
		return leaf.DNSNames[0]
	}
	return leaf.Subject.CommonName
}

// AutodiscoverSchema counts a POX request that asked for schema; requests
// that could not be read (SchemaUnknown) are not counted.
func (m *Metrics) AutodiscoverSchema(schema autodiscover.Schema) {
	if int(schema) < len(m.autodiscoverSchemas) && m.autodiscoverSchemas[schema] != nil {
		m.autodiscoverSchemas[schema].Inc()
	}
}

// RateLimited records a request refused by the rate limit on route.
func (m *Metrics) RateLimited(route string) { m.rateLimited.WithLabelValues(route).Inc() }

// Refused records a refused request or connection.
func (m *Metrics) Refused(reason string) { m.refused.WithLabelValues(reason).Inc() }

// CertificateObtained counts a certificate issued for a new name, or a
// renewal.
func (m *Metrics) CertificateObtained(renewal bool) {
	kind := "issued"
	if renewal {
		kind = "renewed"
	}
	m.certIssued.WithLabelValues(kind).Inc()
}

// CertificateFailed counts a failed issuance or renewal; reason must come
// from a bounded set.
func (m *Metrics) CertificateFailed(reason string) { m.certFailed.WithLabelValues(reason).Inc() }

// CertificateDecision counts a decision on a host name; reason must come
// from a bounded set.
func (m *Metrics) CertificateDecision(allowed bool, reason string) {
	result := "denied"
	if allowed {
		result = "allowed"
	}
	m.certDecisions.WithLabelValues(result, reason).Inc()
}

// ReloadsCounter is the reload counter for result, for tests.
func (m *Metrics) ReloadsCounter(result string) prometheus.Counter {
	return m.reloads.WithLabelValues(result)
}
