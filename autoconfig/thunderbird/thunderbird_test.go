package thunderbird_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/mailautoconf/mailautoconf/autoconfig"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/thunderbird"
)

// thunderbirdCases are the providers and domains every Thunderbird test
// renders: the embedded default, and both providers of the example config.
func thunderbirdCases(t *testing.T) []struct {
	name     string
	provider *autoconfig.Provider
	domain   string
} {
	example, err := autoconfig.LoadFile(testkit.Testdata(t, "config/example.yaml"))
	require.NoError(t, err)
	lookup := func(c *autoconfig.Config, d string) *autoconfig.Provider {
		p, err := c.Lookup(d)
		require.NoError(t, err)
		return p
	}
	def := autoconfig.Default()
	return []struct {
		name     string
		provider *autoconfig.Provider
		domain   string
	}{
		{"default-example.ch", lookup(def, "example.ch"), "example.ch"},
		{"default-idn", lookup(def, "xn--bcher-kva.example"), "xn--bcher-kva.example"},
		{"hosting-example.ch", lookup(example, "example.ch"), "example.ch"},
		{"hosting-wildcard", lookup(example, "shop.customers.example-hosting.ch"), "shop.customers.example-hosting.ch"},
		{"legacy-example.net", lookup(example, "example.net"), "example.net"},
	}
}

func TestThunderbirdConfig_Golden(t *testing.T) {
	for _, tc := range thunderbirdCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			testkit.Golden(t, "thunderbird/"+tc.name+".xml", thunderbird.Render(autoconfig.NewDomain(tc.provider, tc.domain)))
		})
	}
}

// TestThunderbirdConfig_ParsesBackToModel reads each document as a client
// would and compares every server field with the model.
func TestThunderbirdConfig_ParsesBackToModel(t *testing.T) {
	for _, tc := range thunderbirdCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.provider
			d := autoconfig.NewDomain(p, tc.domain)
			doc, err := thunderbird.Read(thunderbird.Render(d))
			require.NoError(t, err)
			assert.Equal(t, "1.1", doc.Version)
			assert.Equal(t, p.ID, doc.ProviderID)
			assert.Equal(t, p.DisplayName, doc.DisplayName)
			assert.Equal(t, p.ShortName, doc.DisplayShortName)

			require.NotEmpty(t, doc.Domains)
			assert.Equal(t, tc.domain, doc.Domains[0], "the requested domain comes first")
			for _, d := range doc.Domains {
				assert.NotContains(t, d, "*", "wildcards are not domains")
			}

			assert.Equal(t, withoutDiscouraged(d.Incoming), modelServers(t, doc.Incoming()))
			assert.Equal(t, withoutDiscouraged(d.Outgoing), modelServers(t, doc.Outgoing()))
			for _, s := range append(d.Incoming, d.Outgoing...) {
				assert.NotContains(t, s.Username, autoconfig.PlaceholderDomain, "the domain is known: %%EMAILDOMAIN%% is expanded")
			}

			if p.HelpURL != "" {
				assert.Equal(t, p.HelpURL, doc.Documentation)
			}
		})
	}
}

// socketTypes are Thunderbird's case-sensitive socketType values, written
// out rather than taken from SocketType, so a wrong mapping fails.
var socketTypes = map[autoconfig.Security]string{
	autoconfig.SecurityTLS: "SSL", autoconfig.SecuritySTARTTLS: "STARTTLS", autoconfig.SecurityNone: "plain",
}

// modelServers turns read servers back into the model's.
func modelServers(t *testing.T, servers []thunderbird.Server) []autoconfig.Server {
	t.Helper()
	var out []autoconfig.Server
	for _, s := range servers {
		sec, ok := s.Security()
		require.True(t, ok, "socketType %q", s.SocketType)
		require.Equal(t, socketTypes[sec], s.SocketType)
		require.Equal(t, "password-cleartext", s.Authentication)
		out = append(out, autoconfig.Server{
			Protocol: autoconfig.Protocol(s.Type), Host: s.Hostname, Port: s.Port,
			Security: sec, Auth: autoconfig.AuthPassword, Username: s.Username,
		})
	}
	return out
}

// withoutDiscouraged clears Discouraged, which the format cannot say: the
// resolved order carries it.
func withoutDiscouraged(servers []autoconfig.Server) []autoconfig.Server {
	out := slices.Clone(servers)
	for i := range out {
		out[i].Discouraged = false
	}
	return out
}

func TestThunderbirdConfig_IMAPBeforePOP3And587Before465(t *testing.T) {
	doc, err := thunderbird.Read(thunderbird.Render(autoconfig.NewDomain(autoconfig.Default().CatchAll, "example.ch")))
	require.NoError(t, err)
	in := doc.Incoming()
	require.Len(t, in, 2)
	assert.Equal(t, "imap", in[0].Type)
	assert.Equal(t, "pop3", in[1].Type)
	out := doc.Outgoing()
	require.Len(t, out, 2)
	assert.Equal(t, []any{587, "STARTTLS"}, []any{out[0].Port, out[0].SocketType})
	assert.Equal(t, []any{465, "SSL"}, []any{out[1].Port, out[1].SocketType})
}

func TestThunderbirdSocketType_IsCaseSensitiveThunderbirdValue(t *testing.T) {
	// "TLS" and "ssl" are invalid for Thunderbird's reader.
	assert.Equal(t, "SSL", thunderbird.SocketType(autoconfig.SecurityTLS))
	assert.Equal(t, "STARTTLS", thunderbird.SocketType(autoconfig.SecuritySTARTTLS))
	assert.Equal(t, "plain", thunderbird.SocketType(autoconfig.SecurityNone))
}

func TestThunderbirdConfig_DomainListIsBounded(t *testing.T) {
	p := &autoconfig.Provider{ID: "example.com", DisplayName: "Example", ShortName: "Example",
		Incoming: autoconfig.Default().CatchAll.Incoming, Outgoing: autoconfig.Default().CatchAll.Outgoing}
	for i := range 200 {
		p.Domains = append(p.Domains, "d"+strconv.Itoa(i)+".example")
	}
	doc, err := thunderbird.Read(thunderbird.Render(autoconfig.NewDomain(p, "d150.example")))
	require.NoError(t, err)
	assert.Len(t, doc.Domains, thunderbird.MaxListedDomains)
	assert.Equal(t, "d150.example", doc.Domains[0])
}

func TestThunderbirdConfig_EscapesProviderText(t *testing.T) {
	p := &autoconfig.Provider{ID: "example.com", DisplayName: `A & B <Mail> "x"`, ShortName: "A&B",
		Incoming: autoconfig.Default().CatchAll.Incoming, Outgoing: autoconfig.Default().CatchAll.Outgoing}
	doc, err := thunderbird.Read(thunderbird.Render(autoconfig.NewDomain(p, "example.com")))
	require.NoError(t, err)
	assert.Equal(t, `A & B <Mail> "x"`, doc.DisplayName)
}
