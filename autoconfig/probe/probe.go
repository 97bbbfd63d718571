// Package probe fetches a URL as a mail client would: names resolved
// through one configured resolver only, internal addresses refused, each
// answer fetched once per check and shared by every step that needs it.
package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"

	"github.com/mailautoconf/mailautoconf/autoconfig/dnsclient"
	"github.com/mailautoconf/mailautoconf/autoconfig/netguard"
)

// Config is what every session of one checker shares.
type Config struct {
	// Resolver is the DNS server asked (host:port).
	Resolver string
	// Timeout bounds each DNS query and each fetch.
	Timeout time.Duration
	// AllowInternal lets a session connect to addresses that are not
	// globally reachable (see netguard.Internal).
	AllowInternal bool
	// RootCAs verifies certificates (nil: the system's roots). PortMap
	// maps the standard ports (443, 80) to others: tests serve loopback
	// HTTPS on a free port.
	RootCAs *x509.CertPool
	PortMap map[string]string
	// MaxBody bounds what is read of an answer.
	MaxBody int64
}

// ErrResolverDown marks a step that failed because the checker's own
// resolver did not answer (timeout, connection refused, REFUSED): the fault
// is ours, and the check reports it once, not once per record.
var ErrResolverDown = errors.New("our DNS resolver did not answer")

// ErrOutOfTime marks a step the check's overall deadline cut short.
var ErrOutOfTime = errors.New("the check ran out of time before this step finished")

// InternalAddressError is a name that resolves to an address that is not
// globally reachable (loopback, private, link-local, CGNAT, reserved, or
// an IPv6 form carrying one: see netguard.Internal): a session does not
// connect there unless its Config allows it, so that a domain's DNS cannot
// make the service probe its own network.
type InternalAddressError struct {
	Host string
	Addr netip.Addr
}

func (e *InternalAddressError) Error() string {
	return fmt.Sprintf("%s resolves to the internal address %s: not connected", e.Host, e.Addr)
}

// Session is the state of one check: every DNS answer and HTTP fetch is
// made once, shared by the record checks and every client chain that needs
// it, and runs under the check's one deadline.
type Session struct {
	cfg Config
	ctx context.Context // the check's overall deadline

	resolverDown atomic.Bool

	mu      sync.Mutex
	answers map[dnsKey]*dnsCall
	fetches map[fetchKey]*fetchCall

	client, insecureClient *http.Client
}

type dnsKey struct {
	name  string
	qtype uint16
}

type dnsCall struct {
	done chan struct{}
	msg  *dns.Msg
	err  error
}

type fetchKey struct {
	method, url string
	insecure    bool
}

type fetchCall struct {
	done chan struct{}
	res  Result
}

// Result is one HTTP exchange: the answer, or why there was none.
type Result struct {
	URL         string
	Status      int // 0 without an answer
	Location    string
	ContentType string
	Body        []byte
	Err         error
}

// OK reports a 2xx answer.
func (f Result) OK() bool { return f.Err == nil && f.Status >= 200 && f.Status < 300 }

// CertError reports a failure because the certificate was not valid.
func (f Result) CertError() bool {
	var certErr *tls.CertificateVerificationError
	return errors.As(f.Err, &certErr)
}

// New starts a session under ctx, the check's overall deadline.
func New(ctx context.Context, cfg Config) *Session {
	r := &Session{cfg: cfg, ctx: ctx, answers: map[dnsKey]*dnsCall{}, fetches: map[fetchKey]*fetchCall{}}
	r.client = r.newClient(false)
	r.insecureClient = r.newClient(true)
	return r
}

// newClient fetches through the configured resolver only: its dialer
// resolves names with r.addrs, so no step falls back to the system's
// resolver. Redirects are not followed: a client chain follows the one
// redirect Outlook follows itself, and an endpoint must answer on its own.
func (r *Session) newClient(insecure bool) *http.Client {
	return &http.Client{
		Timeout: r.cfg.Timeout,
		Transport: &http.Transport{
			Proxy:               nil, // the checker speaks to the domain's hosts, not to a proxy
			DialContext:         r.dial,
			TLSClientConfig:     &tls.Config{RootCAs: r.cfg.RootCAs, InsecureSkipVerify: insecure}, //nolint:gosec // only to show what a client that asks the user would get
			TLSHandshakeTimeout: r.cfg.Timeout,
			DisableKeepAlives:   true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Lookup asks the configured resolver once per name and type in a check.
func (r *Session) Lookup(name string, qtype uint16) (*dns.Msg, error) {
	key := dnsKey{strings.ToLower(dns.Fqdn(name)), qtype}
	r.mu.Lock()
	call, ok := r.answers[key]
	if !ok {
		call = &dnsCall{done: make(chan struct{})}
		r.answers[key] = call
	}
	r.mu.Unlock()
	if !ok {
		call.msg, call.err = r.exchange(key)
		close(call.done)
	}
	<-call.done
	return call.msg, call.err
}

func (r *Session) exchange(key dnsKey) (*dns.Msg, error) {
	what := key.name + " " + dns.TypeToString[key.qtype]
	if r.resolverDown.Load() {
		// One timeout is enough to know: the steps still to come fail at
		// once instead of each waiting out its own timeout.
		return nil, &LookupError{what, ErrResolverDown}
	}
	client := dnsclient.Server{Addr: r.cfg.Resolver, Timeout: r.cfg.Timeout}
	resp, err := client.Exchange(r.ctx, key.name, key.qtype)
	switch {
	case err != nil && r.OutOfTime():
		return nil, &LookupError{what, ErrOutOfTime}
	case err != nil, resp.Rcode == dns.RcodeRefused:
		// The resolver's address stays out of the message: the helpdesk
		// page shows these messages, and the address is the server's.
		r.resolverDown.Store(true)
		return nil, &LookupError{what, ErrResolverDown}
	case resp.Rcode != dns.RcodeSuccess && resp.Rcode != dns.RcodeNameError:
		return nil, &LookupError{what, fmt.Errorf("the resolver answered %s", dns.RcodeToString[resp.Rcode])}
	}
	return resp, nil
}

// ResolverDown reports whether the resolver has failed to answer once in
// this session: every lookup after that fails at once.
func (r *Session) ResolverDown() bool { return r.resolverDown.Load() }

// OutOfTime reports whether the check's deadline has passed. A socket
// deadline set from it can fire a moment before the context says so.
func (r *Session) OutOfTime() bool {
	if r.ctx.Err() != nil {
		return true
	}
	dl, ok := r.ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// addrs resolves host through the configured resolver, following CNAMEs.
func (r *Session) addrs(host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	chain, err := dnsclient.Resolve(host, r.Lookup)
	if err != nil {
		return nil, err
	}
	if len(chain.Addrs) == 0 {
		return nil, fmt.Errorf("%s has no address", strings.TrimSuffix(host, "."))
	}
	return chain.Addrs, nil
}

// dial connects to addr with the name resolved through the configured
// resolver. A name with any internal address is refused whole (unless the
// operator allows internal addresses): trying its other addresses would
// follow it there silently when those fail.
func (r *Session) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ips, err := r.addrs(host)
	if err != nil {
		return nil, err
	}
	if !r.cfg.AllowInternal {
		for _, ip := range ips {
			if netguard.Internal(ip) {
				return nil, &InternalAddressError{Host: host, Addr: ip}
			}
		}
	}
	if p, ok := r.cfg.PortMap[port]; ok {
		port = p
	}
	var d net.Dialer
	var lastErr error
	for _, ip := range ips {
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

// Fetch makes one request once per check; insecure skips certificate
// verification (what a client that asks the user to approve would get).
func (r *Session) Fetch(method, rawURL string, body []byte, insecure bool) Result {
	key := fetchKey{method, rawURL, insecure}
	r.mu.Lock()
	call, ok := r.fetches[key]
	if !ok {
		call = &fetchCall{done: make(chan struct{})}
		r.fetches[key] = call
	}
	r.mu.Unlock()
	if !ok {
		call.res = r.do(method, rawURL, body, insecure)
		close(call.done)
	}
	<-call.done
	return call.res
}

// Prefetch starts fetches in the background, so that a chain reading them
// in priority order waits for the slowest once, not for each in turn.
func (r *Session) Prefetch(method string, body []byte, urls ...string) {
	for _, u := range urls {
		go r.Fetch(method, u, body, false)
	}
}

// Results lists the fetches finished so far, sorted by URL so that
// reports list the same findings in the same order.
func (r *Session) Results() []Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Result
	for _, call := range r.fetches {
		select {
		case <-call.done:
			out = append(out, call.res)
		default:
		}
	}
	slices.SortFunc(out, func(a, b Result) int { return strings.Compare(a.URL, b.URL) })
	return out
}

func (r *Session) do(method, rawURL string, body []byte, insecure bool) Result {
	res := Result{URL: rawURL}
	req, err := http.NewRequestWithContext(r.ctx, method, rawURL, bytes.NewReader(body))
	if err != nil {
		res.Err = err
		return res
	}
	// The name is resolved first, outside the fetch's own timeout: a lookup
	// cut short by it would hide that our resolver is the one not answering.
	if _, err := r.addrs(req.URL.Hostname()); err != nil {
		res.Err = err
		return res
	}
	ctx, cancel := context.WithTimeout(r.ctx, r.cfg.Timeout)
	defer cancel()
	req = req.WithContext(ctx)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	}
	client := r.client
	if insecure {
		client = r.insecureClient
	}
	resp, err := client.Do(req)
	if err != nil {
		res.Err = r.fetchError(req, err)
		return res
	}
	defer resp.Body.Close()
	res.Status, res.Location, res.ContentType = resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("Content-Type")
	if res.Body, err = io.ReadAll(io.LimitReader(resp.Body, r.cfg.MaxBody)); err != nil {
		res.Err = fmt.Errorf("reading the answer of %s: %w", req.URL.Host, err)
	}
	return res
}

// fetchError keeps the cause a report needs (our resolver, an internal
// address, a certificate) and drops net/http's wrapping, which repeats the
// URL.
func (r *Session) fetchError(req *http.Request, err error) error {
	var internal *InternalAddressError
	var lookup *LookupError
	var certErr *tls.CertificateVerificationError
	switch {
	case errors.As(err, &internal):
		return internal
	case errors.As(err, &lookup):
		return lookup
	case errors.As(err, &certErr):
		return fmt.Errorf("the certificate is not valid for %s: %w", req.URL.Hostname(), certErr)
	case r.OutOfTime():
		return fmt.Errorf("fetching %s: %w", req.URL.Host, ErrOutOfTime)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("fetching %s: %w", req.URL.Host, err)
}

// LookupError is a failed DNS lookup: the name and type, and why.
type LookupError struct {
	what string // "name TYPE"
	err  error
}

func (e *LookupError) Error() string { return "looking up " + e.what + ": " + e.err.Error() }
func (e *LookupError) Unwrap() error { return e.err }
