// Package certpolicy decides which host names get a TLS certificate: the
// autoconfig., autodiscover. and ua-auto-config. names of a domain the
// service serves, when the name resolves to this service. The same
// decision answers CertMagic's on-demand issuance and the front proxies'
// GET /tls/allowed, so that a proxy terminating TLS never asks a CA for a
// name the service itself would refuse.
package certpolicy

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"golang.org/x/net/idna"
)

// Match is how the configuration serves a domain.
type Match int

const (
	NotServed Match = iota
	Listed          // named in a provider's domains
	Wildcard        // under a provider's "*.suffix"
	AcceptMX        // its MX points at a provider with accept.mx
	CatchAll        // served only because the configuration has catch_all
)

// Served reports how the configuration in force serves an ASCII,
// lower-case domain. It is the one link to the configuration: at merge
// time it wraps the Resolver's provider lookup.
type Served func(ctx context.Context, domain string) (Match, error)

// Reasons label decisions in metrics and logs; the set is fixed, so that
// names never become label values.
const (
	ReasonServiceHost   = "service_host"
	ReasonListed        = "listed"
	ReasonWildcard      = "wildcard"
	ReasonAcceptMX      = "accept_mx"
	ReasonCatchAll      = "catch_all"
	ReasonNotMailName   = "not_a_mail_name"
	ReasonNotServed     = "domain_not_served"
	ReasonCatchAllOff   = "catch_all_not_enabled"
	ReasonNotPointing   = "not_pointing_here"
	ReasonNoServiceHost = "no_service_host"
	ReasonLookupFailed  = "lookup_failed"
)

// Decision is the answer for one name.
type Decision struct {
	Allowed bool
	Reason  string // one of the Reason constants
}

// Error is a refusal, for CertMagic's DecisionFunc.
func (d Decision) Error(name string) error {
	if d.Allowed {
		return nil
	}
	return &DeniedError{Name: name, Reason: d.Reason}
}

// DeniedError is a refused name.
type DeniedError struct{ Name, Reason string }

func (e *DeniedError) Error() string {
	return "no certificate for " + e.Name + ": " + e.Reason
}

// Policy decides for names.
type Policy struct {
	Served Served
	// Pointer tells whether a name resolves to the service host; nil
	// refuses every name that is not the service host itself.
	Pointer *Pointer
	// ServiceHost returns the host name of this service (service_host of
	// the configuration in force, else the --public-url host), "" if none.
	ServiceHost func() string
	// CatchAll allows names of domains served only by catch_all: off by
	// default, as every name on the Internet would then qualify.
	CatchAll bool
	// Observe, when set, hears every decision (metrics).
	Observe func(Decision)
}

// Decide checks name, cheapest test first: its form, then the
// configuration (an MX lookup at most, cached), then its DNS.
func (p *Policy) Decide(ctx context.Context, name string) Decision {
	d := p.decide(ctx, name)
	if p.Observe != nil {
		p.Observe(d)
	}
	return d
}

func (p *Policy) decide(ctx context.Context, name string) Decision {
	name, ok := normalize(name)
	if !ok {
		return Decision{Reason: ReasonNotMailName}
	}
	service := ""
	if p.ServiceHost != nil {
		service = p.ServiceHost()
	}
	if service != "" && name == service {
		return Decision{Allowed: true, Reason: ReasonServiceHost}
	}
	domain := ""
	for _, prefix := range autoconfig.ServiceHostPrefixes() {
		if d, ok := strings.CutPrefix(name, prefix); ok && strings.Contains(d, ".") {
			domain = d
			break
		}
	}
	if domain == "" {
		return Decision{Reason: ReasonNotMailName}
	}
	match, err := p.Served(ctx, domain)
	if err != nil {
		return Decision{Reason: ReasonLookupFailed}
	}
	reason := ""
	switch match {
	case Listed:
		reason = ReasonListed
	case Wildcard:
		reason = ReasonWildcard
	case AcceptMX:
		reason = ReasonAcceptMX
	case CatchAll:
		if !p.CatchAll {
			return Decision{Reason: ReasonCatchAllOff}
		}
		reason = ReasonCatchAll
	default:
		return Decision{Reason: ReasonNotServed}
	}
	switch {
	case service == "":
		return Decision{Reason: ReasonNoServiceHost}
	case p.Pointer == nil:
		return Decision{Reason: ReasonLookupFailed}
	}
	here, err := p.Pointer.PointsAt(ctx, name, service)
	switch {
	case err != nil:
		return Decision{Reason: ReasonLookupFailed}
	case !here:
		return Decision{Reason: ReasonNotPointing}
	}
	return Decision{Allowed: true, Reason: reason}
}

// normalize lower-cases name, drops a final dot and turns it to ASCII;
// ok is false for what is no host name.
func normalize(name string) (string, bool) {
	name = strings.TrimSuffix(strings.TrimSpace(name), ".")
	if name == "" || len(name) > 253 {
		return "", false
	}
	ascii, err := hostNames.ToASCII(name)
	if err != nil {
		return "", false
	}
	return strings.ToLower(ascii), true
}

// hostNames is IDNA lookup with label lengths checked: an empty label
// ("a..b") is no host name.
var hostNames = idna.New(idna.MapForLookup(), idna.VerifyDNSLength(true), idna.BidiRule())

// AllowedPath is the decision endpoint of front proxies.
const AllowedPath = "/tls/allowed"

// Handler answers GET /tls/allowed?domain=NAME as Caddy's on_demand_tls
// "ask" expects: 200 when a certificate may be obtained for NAME, any
// other status when not (403 here; 400 without a domain). The body says
// why, for the operator reading a proxy's log.
func (p *Policy) Handler() gin.HandlerFunc {
	return func(c *gin.Context) {
		name := c.Query("domain")
		if name == "" {
			httpkit.WriteText(c, http.StatusBadRequest, "missing ?domain=NAME")
			return
		}
		d := p.Decide(c.Request.Context(), name)
		status := http.StatusForbidden
		if d.Allowed {
			status = http.StatusOK
		}
		httpkit.WriteText(c, status, d.Reason)
	}
}

// IsDenied reports whether err is a refusal of this policy.
func IsDenied(err error) bool {
	var d *DeniedError
	return errors.As(err, &d)
}
