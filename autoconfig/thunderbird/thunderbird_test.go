package thunderbird_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/mailautoconf/mailautoconf/autoconfig"

	"github.com/beevik/etree"
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
			doc := etree.NewDocument()
			require.NoError(t, doc.ReadFromBytes(thunderbird.Render(d)))
			root := doc.SelectElement("clientConfig")
			require.NotNil(t, root)
			assert.Equal(t, "1.1", root.SelectAttrValue("version", ""))
			ep := root.SelectElement("emailProvider")
			require.NotNil(t, ep)
			assert.Equal(t, p.ID, ep.SelectAttrValue("id", ""))
			assert.Equal(t, p.DisplayName, ep.SelectElement("displayName").Text())
			assert.Equal(t, p.ShortName, ep.SelectElement("displayShortName").Text())

			domains := ep.SelectElements("domain")
			require.NotEmpty(t, domains)
			assert.Equal(t, tc.domain, domains[0].Text(), "the requested domain comes first")
			for _, d := range domains {
				assert.NotContains(t, d.Text(), "*", "wildcards are not domains")
			}

			assert.Equal(t, withoutDiscouraged(d.Incoming), readThunderbirdServers(t, ep.SelectElements("incomingServer")))
			assert.Equal(t, withoutDiscouraged(d.Outgoing), readThunderbirdServers(t, ep.SelectElements("outgoingServer")))
			for _, s := range append(d.Incoming, d.Outgoing...) {
				assert.NotContains(t, s.Username, autoconfig.PlaceholderDomain, "the domain is known: %%EMAILDOMAIN%% is expanded")
			}

			if p.HelpURL != "" {
				assert.Equal(t, p.HelpURL, ep.SelectElement("documentation").SelectAttrValue("url", ""))
			}
		})
	}
}

func readThunderbirdServers(t *testing.T, els []*etree.Element) []autoconfig.Server {
	t.Helper()
	security := map[string]autoconfig.Security{"SSL": autoconfig.SecurityTLS, "STARTTLS": autoconfig.SecuritySTARTTLS, "plain": autoconfig.SecurityNone}
	var out []autoconfig.Server
	for _, el := range els {
		port, err := strconv.Atoi(el.SelectElement("port").Text())
		require.NoError(t, err)
		sec, ok := security[el.SelectElement("socketType").Text()]
		require.True(t, ok, "socketType %q", el.SelectElement("socketType").Text())
		require.Equal(t, "password-cleartext", el.SelectElement("authentication").Text())
		out = append(out, autoconfig.Server{
			Protocol: autoconfig.Protocol(el.SelectAttrValue("type", "")),
			Host:     el.SelectElement("hostname").Text(),
			Port:     port,
			Security: sec,
			Auth:     autoconfig.AuthPassword,
			Username: el.SelectElement("username").Text(),
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
	doc := etree.NewDocument()
	require.NoError(t, doc.ReadFromBytes(thunderbird.Render(autoconfig.NewDomain(autoconfig.Default().CatchAll, "example.ch"))))
	in := doc.FindElements("//incomingServer")
	require.Len(t, in, 2)
	assert.Equal(t, "imap", in[0].SelectAttrValue("type", ""))
	assert.Equal(t, "pop3", in[1].SelectAttrValue("type", ""))
	out := doc.FindElements("//outgoingServer")
	require.Len(t, out, 2)
	assert.Equal(t, "587", out[0].SelectElement("port").Text())
	assert.Equal(t, "STARTTLS", out[0].SelectElement("socketType").Text())
	assert.Equal(t, "465", out[1].SelectElement("port").Text())
	assert.Equal(t, "SSL", out[1].SelectElement("socketType").Text())
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
	doc := etree.NewDocument()
	require.NoError(t, doc.ReadFromBytes(thunderbird.Render(autoconfig.NewDomain(p, "d150.example"))))
	domains := doc.FindElements("//domain")
	assert.Len(t, domains, thunderbird.MaxListedDomains)
	assert.Equal(t, "d150.example", domains[0].Text())
}

func TestThunderbirdConfig_EscapesProviderText(t *testing.T) {
	p := &autoconfig.Provider{ID: "example.com", DisplayName: `A & B <Mail> "x"`, ShortName: "A&B",
		Incoming: autoconfig.Default().CatchAll.Incoming, Outgoing: autoconfig.Default().CatchAll.Outgoing}
	doc := etree.NewDocument()
	require.NoError(t, doc.ReadFromBytes(thunderbird.Render(autoconfig.NewDomain(p, "example.com"))))
	assert.Equal(t, `A & B <Mail> "x"`, doc.FindElement("//displayName").Text())
}
