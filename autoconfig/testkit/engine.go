package testkit

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
)

// Registerer is a handler that adds its routes to a router: what every
// format package's New returns.
type Registerer interface{ Register(r gin.IRouter) }

// Deps are handler dependencies serving cfg, with no MX acceptance and no
// public URL.
func Deps(cfg *autoconfig.Config) httpkit.Deps {
	return httpkit.Deps{Resolver: &autoconfig.Resolver{Store: autoconfig.NewStore(cfg)}}
}

// Engine is a gin engine in test mode, set up as the server sets up its own
// (405 for wrong methods), with the routes of each handler.
func Engine(t testing.TB, handlers ...Registerer) *gin.Engine {
	t.Helper()
	gin.SetMode(gin.TestMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	for _, h := range handlers {
		h.Register(e)
	}
	return e
}

// Do sends one request to h and returns the answer; host and header may be
// empty.
func Do(h http.Handler, method, target, host string, header http.Header) *httptest.ResponseRecorder {
	return DoBody(h, method, target, host, header, "")
}

// DoBody is Do with a request body.
func DoBody(h http.Handler, method, target, host string, header http.Header, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if host != "" {
		req.Host = host
	}
	for k, v := range header {
		req.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// Get sends a GET request.
func Get(h http.Handler, target string) *httptest.ResponseRecorder {
	return Do(h, http.MethodGet, target, "", nil)
}

// Config loads testdata/config/<name>.
func Config(t testing.TB, name string) *autoconfig.Config {
	t.Helper()
	c, err := autoconfig.LoadFile(Testdata(t, "config/"+name))
	require.NoError(t, err)
	return c
}

// ParseConfig parses a configuration given as text.
func ParseConfig(t testing.TB, yaml string) *autoconfig.Config {
	t.Helper()
	c, err := autoconfig.Parse("test.yaml", []byte(yaml))
	require.NoError(t, err)
	return c
}

// Address parses a valid address.
func Address(t testing.TB, s string) autoconfig.Address {
	t.Helper()
	a, err := autoconfig.ParseAddress(s)
	require.NoError(t, err)
	return a
}

// Provider is the provider serving domain in cfg.
func Provider(t testing.TB, cfg *autoconfig.Config, domain string) *autoconfig.Provider {
	t.Helper()
	p, err := cfg.Lookup(domain)
	require.NoError(t, err)
	return p
}

// Account resolves address with cfg.
func Account(t testing.TB, cfg *autoconfig.Config, address string) autoconfig.Account {
	t.Helper()
	addr := Address(t, address)
	return autoconfig.NewAccount(Provider(t, cfg, addr.Domain), addr, "")
}

// Query is "?key=value" for one escaped parameter.
func Query(key, value string) string { return "?" + url.Values{key: {value}}.Encode() }

// Resolve resolves addr with cfg alone (no MX lookups), as the Resolver
// does for listed and catch-all domains.
func Resolve(cfg *autoconfig.Config, addr autoconfig.Address) (autoconfig.Account, error) {
	p, err := cfg.Lookup(addr.Domain)
	if err != nil {
		return autoconfig.Account{}, err
	}
	return autoconfig.NewAccount(p, addr, ""), nil
}

// Header builds a request header from name, value pairs, for Do and DoBody.
func Header(pairs ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(pairs); i += 2 {
		h.Add(pairs[i], pairs[i+1])
	}
	return h
}

// PostForm posts form to target as a browser submits it, with header added.
func PostForm(h http.Handler, target string, form url.Values, header http.Header) *httptest.ResponseRecorder {
	all := Header("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		all[k] = v
	}
	return DoBody(h, http.MethodPost, target, "", all, form.Encode())
}
