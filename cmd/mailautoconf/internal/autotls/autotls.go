// Package autotls obtains and renews the service's certificates with
// CertMagic (the library behind Caddy's automatic HTTPS): ahead of time
// for the names of listed domains, on demand, after a decision, for the
// other customer names, in storage that replicas share. CertMagic locks
// each name in that storage, so one instance orders a certificate and
// the others load it; HTTP-01 and TLS-ALPN-01 challenges are kept there
// too, so whichever instance the CA reaches answers them.
package autotls

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/caddyserver/certmagic"
	"github.com/mholt/acmez/v3"
	"github.com/mholt/acmez/v3/acme"
	"go.uber.org/zap"
	"golang.org/x/time/rate"
)

// Options configure a Manager.
type Options struct {
	// Storage is the directory of certificates, keys, ACME accounts and
	// locks: a volume shared by every replica.
	Storage string
	// Backend, when set, replaces the directory with another CertMagic
	// storage (Redis, S3, Consul, SQL: any certmagic.Storage with its
	// locking), shared the same way.
	Backend   certmagic.Storage
	Email     string
	Directory string         // ACME directory URL; "" is Let's Encrypt
	Roots     *x509.CertPool // trusted for the directory's HTTPS; nil: the system's

	// ListenHost, HTTPPort and TLSPort are where the CA's validation
	// reaches this instance: its own listeners, so CertMagic answers
	// through them and opens none. HTTPPort 0 disables HTTP-01 (no
	// plain-HTTP listener).
	ListenHost        string
	HTTPPort, TLSPort int

	// Decide allows or refuses a name not certified yet (nil: no
	// on-demand issuance).
	Decide func(ctx context.Context, name string) error
	// OnDemandRate and OnDemandBurst limit new on-demand orders of this
	// instance; a name already in storage is not limited.
	OnDemandRate  rate.Limit
	OnDemandBurst int

	Logger *slog.Logger
	Events Events
}

// Events hears what happens to certificates (metrics).
type Events interface {
	CertificateObtained(renewal bool)
	CertificateFailed(reason string)
}

// Manager holds the certificate cache and the two CertMagic
// configurations that share it: one manages listed names ahead of time;
// the other serves handshakes, obtaining on demand what the first does
// not hold (CertMagic defers ahead-of-time issuance on a configuration
// that has on-demand enabled).
type Manager struct {
	cache    *certmagic.Cache
	managed  *certmagic.Config
	onDemand *certmagic.Config
	issuer   *certmagic.ACMEIssuer
	logger   *slog.Logger
	events   Events
	limiter  *rate.Limiter

	mu      sync.Mutex
	started map[string]bool // names handed to ahead-of-time management
}

// New builds a Manager; it contacts the CA only when a certificate is
// needed.
func New(o Options) (*Manager, error) {
	var storage certmagic.Storage = &certmagic.FileStorage{Path: o.Storage}
	switch {
	case o.Backend != nil:
		storage = o.Backend
	case o.Storage == "":
		return nil, errors.New("no certificate storage directory")
	}
	m := &Manager{logger: o.Logger, events: o.Events, started: map[string]bool{}}
	if m.logger == nil {
		m.logger = slog.New(slog.DiscardHandler)
	}
	// CertMagic logs through zap; its events, logged below through the
	// service's logger, carry what an operator needs.
	nop := zap.NewNop()
	var managed *certmagic.Config
	m.cache = certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert: func(certmagic.Certificate) (*certmagic.Config, error) { return managed, nil },
		Logger:           nop,
	})
	template := certmagic.Config{Storage: storage, Logger: nop, OnEvent: m.onEvent}
	managed = certmagic.New(m.cache, template)
	m.managed = managed
	m.issuer = newIssuer(managed, o)
	managed.Issuers = []certmagic.Issuer{m.issuer}

	onDemand := template
	if o.Decide != nil {
		m.limiter = rate.NewLimiter(o.OnDemandRate, max(o.OnDemandBurst, 1))
		onDemand.OnDemand = &certmagic.OnDemandConfig{DecisionFunc: m.decide(o.Decide)}
	}
	m.onDemand = certmagic.New(m.cache, onDemand)
	m.onDemand.Issuers = []certmagic.Issuer{newIssuer(m.onDemand, o)}
	return m, nil
}

func newIssuer(cfg *certmagic.Config, o Options) *certmagic.ACMEIssuer {
	// With Let's Encrypt, CertMagic retries failed orders against its
	// staging CA first, sparing the production limits; another CA is
	// retried as it is.
	test := ""
	if o.Directory != "" {
		test = o.Directory
	}
	return certmagic.NewACMEIssuer(cfg, certmagic.ACMEIssuer{
		CA:                   o.Directory,
		TestCA:               test,
		Email:                o.Email,
		Agreed:               true,
		TrustedRoots:         o.Roots,
		ListenHost:           o.ListenHost,
		AltHTTPPort:          o.HTTPPort,
		AltTLSALPNPort:       o.TLSPort,
		DisableHTTPChallenge: o.HTTPPort == 0,
		Logger:               zap.NewNop(),
	})
}

// decide adds the rate limit on new orders to the decision: CertMagic
// asks before loading a name from storage as well as before ordering, and
// only an order costs the CA's limits.
func (m *Manager) decide(allowed func(context.Context, string) error) func(context.Context, string) error {
	return func(ctx context.Context, name string) error {
		if err := allowed(ctx, name); err != nil {
			return err
		}
		if m.inStorage(ctx, name) || m.limiter.Allow() {
			return nil
		}
		m.events.CertificateFailed("on_demand_rate_limited")
		m.logger.Warn("on-demand certificate refused: too many new orders, try again later", "name", name)
		return fmt.Errorf("no certificate for %s now: on-demand issuance rate limit", name)
	}
}

func (m *Manager) inStorage(ctx context.Context, name string) bool {
	return m.onDemand.Storage.Exists(ctx, certmagic.StorageKeys.SiteCert(m.issuer.IssuerKey(), name))
}

// GetCertificate is for tls.Config: the cached certificate, one loaded
// from the shared storage, one obtained on demand, or a TLS-ALPN-01
// challenge certificate.
func (m *Manager) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	return m.onDemand.GetCertificate(hello)
}

// NextProtos are the ALPN protocols of the TLS listener, with the one of
// TLS-ALPN-01 challenges (RFC 8737 §3).
func (m *Manager) NextProtos() []string { return []string{"h2", "http/1.1", acmez.ACMETLS1Protocol} }

// HTTPChallenge answers ACME HTTP-01 challenges (also those started by
// another replica, from the shared storage), and 404 otherwise.
func (m *Manager) HTTPChallenge() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !m.issuer.HandleHTTPChallenge(w, r) {
			http.NotFound(w, r)
		}
	})
}

// Manage obtains (in the background) and renews certificates for names
// not handed to it before: the names of listed domains, at start-up and
// after each reload. A name a reload removed stays in the cache, and is
// renewed, until the process restarts; it is no longer handed out at a
// restart.
func (m *Manager) Manage(ctx context.Context, names []string) error {
	m.mu.Lock()
	var fresh []string
	for _, n := range names {
		if !m.started[n] {
			m.started[n] = true
			fresh = append(fresh, n)
		}
	}
	m.mu.Unlock()
	if len(fresh) == 0 {
		return nil
	}
	m.logger.Info("managing certificates ahead of time", "names", len(fresh))
	return m.managed.ManageAsync(ctx, fresh)
}

// Obtain gets a certificate for each name now, unless the storage holds
// one already (another instance's included), and returns the failures.
func (m *Manager) Obtain(ctx context.Context, names []string) error {
	var errs []error
	for _, n := range names {
		if err := m.managed.ObtainCertSync(ctx, n); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Stop ends background maintenance (renewals, OCSP stapling).
func (m *Manager) Stop() { m.cache.Stop() }

// onEvent turns CertMagic's events into log lines and metrics.
func (m *Manager) onEvent(_ context.Context, event string, data map[string]any) error {
	name, _ := data["identifier"].(string)
	renewal, _ := data["renewal"].(bool)
	switch event {
	case "cert_obtained":
		if m.events != nil {
			m.events.CertificateObtained(renewal)
		}
		issuer, _ := data["issuer"].(string)
		if renewal {
			m.logger.Info("certificate renewed", "name", name, "issuer", issuer)
		} else {
			m.logger.Info("certificate issued", "name", name, "issuer", issuer)
		}
	case "cert_failed":
		err, _ := data["error"].(error)
		reason := FailureReason(err)
		if m.events != nil {
			m.events.CertificateFailed(reason)
		}
		m.logger.Error("certificate not obtained", "name", name, "renewal", renewal, "reason", reason, "error", fmt.Sprint(err))
	case "cert_ocsp_revoked":
		m.logger.Error("certificate revoked (OCSP): replacing it", "name", name)
	}
	return nil
}

// acmeProblemType is the last segment of an ACME error type
// ("urn:ietf:params:acme:error:rateLimited"): a fixed set (RFC 8555 §6.7),
// fit for a metric label once its shape is checked.
var acmeProblemType = regexp.MustCompile(`^[A-Za-z]{1,40}$`)

// FailureReason names why an order failed, from a bounded set.
func FailureReason(err error) string {
	var problem acme.Problem
	switch {
	case err == nil:
		return "other"
	case errors.As(err, &problem):
		t := problem.Type[strings.LastIndexByte(problem.Type, ':')+1:]
		if acmeProblemType.MatchString(t) {
			return t
		}
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "other"
}
