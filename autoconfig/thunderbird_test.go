package autoconfig

import (
	"strconv"
	"testing"

	"github.com/beevik/etree"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/golden"
)

// thunderbirdCases are the providers and domains every Thunderbird test
// renders: the embedded default, and both providers of the example config.
func thunderbirdCases(t *testing.T) []struct {
	name     string
	provider *Provider
	domain   string
} {
	example, err := LoadFile(golden.Testdata(t, "config/example.yaml"))
	require.NoError(t, err)
	lookup := func(c *Config, d string) *Provider {
		p, err := c.Lookup(d)
		require.NoError(t, err)
		return p
	}
	def := Default()
	return []struct {
		name     string
		provider *Provider
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
			golden.Assert(t, "thunderbird/"+tc.name+".xml", ThunderbirdConfig(tc.provider, tc.domain))
		})
	}
}

// TestThunderbirdConfig_ParsesBackToModel reads each document as a client
// would and compares every server field with the model.
func TestThunderbirdConfig_ParsesBackToModel(t *testing.T) {
	for _, tc := range thunderbirdCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.provider
			doc := etree.NewDocument()
			require.NoError(t, doc.ReadFromBytes(ThunderbirdConfig(p, tc.domain)))
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

			assert.Equal(t, p.Incoming, readThunderbirdServers(t, ep.SelectElements("incomingServer")))
			assert.Equal(t, p.Outgoing, readThunderbirdServers(t, ep.SelectElements("outgoingServer")))

			if p.HelpURL != "" {
				assert.Equal(t, p.HelpURL, ep.SelectElement("documentation").SelectAttrValue("url", ""))
			}
		})
	}
}

func readThunderbirdServers(t *testing.T, els []*etree.Element) []Server {
	t.Helper()
	security := map[string]Security{"SSL": SecurityTLS, "STARTTLS": SecuritySTARTTLS, "plain": SecurityNone}
	var out []Server
	for _, el := range els {
		port, err := strconv.Atoi(el.SelectElement("port").Text())
		require.NoError(t, err)
		sec, ok := security[el.SelectElement("socketType").Text()]
		require.True(t, ok, "socketType %q", el.SelectElement("socketType").Text())
		require.Equal(t, "password-cleartext", el.SelectElement("authentication").Text())
		out = append(out, Server{
			Protocol: Protocol(el.SelectAttrValue("type", "")),
			Host:     el.SelectElement("hostname").Text(),
			Port:     port,
			Security: sec,
			Auth:     AuthPassword,
			Username: el.SelectElement("username").Text(),
			// The format has no "discouraged": the model's order carries it.
			Discouraged: Protocol(el.SelectAttrValue("type", "")) == POP3,
		})
	}
	return out
}

func TestThunderbirdConfig_IMAPBeforePOP3And587Before465(t *testing.T) {
	doc := etree.NewDocument()
	require.NoError(t, doc.ReadFromBytes(ThunderbirdConfig(Default().CatchAll, "example.ch")))
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
	assert.Equal(t, "SSL", ThunderbirdSocketType(SecurityTLS))
	assert.Equal(t, "STARTTLS", ThunderbirdSocketType(SecuritySTARTTLS))
	assert.Equal(t, "plain", ThunderbirdSocketType(SecurityNone))
}

func TestThunderbirdConfig_DomainListIsBounded(t *testing.T) {
	p := &Provider{ID: "example.com", DisplayName: "Example", ShortName: "Example",
		Incoming: Default().CatchAll.Incoming, Outgoing: Default().CatchAll.Outgoing}
	for i := range 200 {
		p.Domains = append(p.Domains, "d"+strconv.Itoa(i)+".example")
	}
	doc := etree.NewDocument()
	require.NoError(t, doc.ReadFromBytes(ThunderbirdConfig(p, "d150.example")))
	domains := doc.FindElements("//domain")
	assert.Len(t, domains, MaxListedDomains)
	assert.Equal(t, "d150.example", domains[0].Text())
}

func TestThunderbirdConfig_EscapesProviderText(t *testing.T) {
	p := &Provider{ID: "example.com", DisplayName: `A & B <Mail> "x"`, ShortName: "A&B",
		Incoming: Default().CatchAll.Incoming, Outgoing: Default().CatchAll.Outgoing}
	doc := etree.NewDocument()
	require.NoError(t, doc.ReadFromBytes(ThunderbirdConfig(p, "example.com")))
	assert.Equal(t, `A & B <Mail> "x"`, doc.FindElement("//displayName").Text())
}
