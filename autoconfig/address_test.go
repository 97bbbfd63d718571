package autoconfig

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseAddress_Accepts(t *testing.T) {
	tests := []struct {
		name, in                  string
		local, domain, unicodeDom string
	}{
		{"simple", "jane@example.ch", "jane", "example.ch", "example.ch"},
		{"upper-case domain is lowered, local part kept", "Jane.Doe@Example.CH", "Jane.Doe", "example.ch", "example.ch"},
		{"plus addressing", "jane+news@example.ch", "jane+news", "example.ch", "example.ch"},
		{"IDN domain becomes punycode", "jane@bücher.example", "jane", "xn--bcher-kva.example", "bücher.example"},
		{"IDN upper case", "jane@BÜCHER.example", "jane", "xn--bcher-kva.example", "bücher.example"},
		{"punycode domain shown as Unicode", "jane@xn--bcher-kva.example", "jane", "xn--bcher-kva.example", "bücher.example"},
		{"UTF-8 local part (RFC 6531)", "jürg@example.ch", "jürg", "example.ch", "example.ch"},
		{"trailing dot on domain", "jane@example.ch.", "jane", "example.ch", "example.ch"},
		{"quoted local part", `"<script>"@example.com`, `"<script>"`, "example.com", "example.com"},
		{"quoted local part with @", `"a@b"@example.com`, `"a@b"`, "example.com", "example.com"},
		{"atext specials", "o'brien!#$%&*=?^_`{|}~-@example.com", "o'brien!#$%&*=?^_`{|}~-", "example.com", "example.com"},
		{"64-octet local part", strings.Repeat("a", 64) + "@example.ch", strings.Repeat("a", 64), "example.ch", "example.ch"},
		{"subdomain", "x@mail.sub.example.co.uk", "x", "mail.sub.example.co.uk", "mail.sub.example.co.uk"},
		{"surrounding whitespace is dropped", " \tjane@example.ch \u00a0\n", "jane", "example.ch", "example.ch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ParseAddress(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.local, a.Local)
			assert.Equal(t, tt.domain, a.Domain)
			assert.Equal(t, tt.unicodeDom, a.UnicodeDomain)
			assert.Equal(t, tt.local+"@"+tt.unicodeDom, a.String())
			assert.Equal(t, tt.local+"@"+tt.domain, a.ASCII())
		})
	}
}

func TestParseAddress_Rejects(t *testing.T) {
	long63 := strings.Repeat("a", 63)
	tests := []struct {
		name, in, reason string
	}{
		{"empty", "", "it is empty"},
		{"no at", "jane.example.ch", "it has no @"},
		{"two at", "jane@doe@example.ch", "it has more than one @"},
		{"space", "jane doe@example.ch", "it contains a space"},
		{"only spaces", " \t ", "it is empty"},
		{"tab", "jane\t@example.ch", "it contains a space"},
		{"NUL", "jane\x00@example.ch", "it contains a control or invisible formatting character"},
		{"CR LF injection", "jane@example.ch\r\nX-Evil: 1", "it contains a space"},
		{"DEL", "jane\x7f@example.ch", "it contains a control or invisible formatting character"},
		{"right-to-left override", "jane\u202e@example.ch", "it contains a control or invisible formatting character"},
		{"zero-width joiner", "ja\u200dne@example.ch", "it contains a control or invisible formatting character"},
		{"invalid UTF-8", "jane\xff@example.ch", "it is not valid UTF-8 text"},
		{"empty local", "@example.ch", "the part before @ is empty"},
		{"empty domain", "jane@", "the domain after @ is empty"},
		{"local too long", strings.Repeat("a", 65) + "@example.ch", "the part before @ is longer than 64 characters"},
		{"leading dot", ".jane@example.ch", "the part before @ starts or ends with a dot"},
		{"double dot", "ja..ne@example.ch", "the part before @ has two dots in a row"},
		{"angle brackets unquoted", "<script>@example.ch", "the part before @ contains a character that is only allowed in quotes"},
		{"unescaped quote inside quotes", `"a"b"@example.ch`, "the part before @ has an unescaped quote"},
		{"single-label domain", "jane@localhost", "the domain needs at least one dot, as in example.com"},
		{"IP literal", "jane@[192.0.2.1]", "an IP address is not accepted as the domain"},
		{"dotted IP", "jane@192.0.2.1", "an IP address is not accepted as the domain"},
		{"underscore in domain", "jane@exa_mple.ch", "the domain is not a valid domain name"},
		{"label too long", "jane@" + strings.Repeat("a", 64) + ".ch", "a part of the domain is longer than 63 characters"},
		{"hyphen at label start", "jane@-example.ch", "the domain is not a valid domain name"},
		{"domain too long", "j@" + strings.Repeat(long63+".", 4) + "ch", "the domain is longer than 253 characters"},
		{"whole too long", strings.Repeat("a", 64) + "@" + strings.Repeat(long63+".", 3) + "example.ch", "it is longer than 254 characters"},
		{"huge input", strings.Repeat("a", 100000), "it is longer than 254 characters"},
		{"double dot in domain", "jane@example..ch", "the domain has an empty part between dots"},
		{"leading dot in domain", "jane@.example.ch", "the domain has an empty part between dots"},
		{"full stop mapped to a trailing dot", "jane@example.ch\u3002", "the domain has an empty part between dots"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseAddress(tt.in)
			require.Error(t, err)
			assert.True(t, IsAddressError(err))
			assert.Equal(t, "invalid email address: "+tt.reason, err.Error())
		})
	}
}

func TestDomainFromHost(t *testing.T) {
	tests := []struct{ host, domain string }{
		{"autoconfig.example.org", "example.org"},
		{"autoconfig.example.org:8080", "example.org"},
		{"AUTOCONFIG.Example.ORG", "example.org"},
		{"example.org", "example.org"},
		{"example.org.", "example.org"},
		{"autodiscover.example.org", "example.org"},
		{"ua-auto-config.example.org", "example.org"},
		{"autoconfig.xn--bcher-kva.example", "xn--bcher-kva.example"},
	}
	for _, tt := range tests {
		d, err := DomainFromHost(tt.host)
		require.NoError(t, err, tt.host)
		assert.Equal(t, tt.domain, d, tt.host)
	}
	for _, bad := range []string{"localhost", "localhost:8080", "127.0.0.1:8080", "[::1]:8080", "", "autoconfig.", "exa_mple.org"} {
		_, err := DomainFromHost(bad)
		assert.ErrorIs(t, err, ErrNoDomain, bad)
	}
}

// TestDomainFromHost_EveryServiceHostPrefix: a request to any service host
// name of a domain is a request for that domain.
func TestDomainFromHost_EveryServiceHostPrefix(t *testing.T) {
	for _, prefix := range ServiceHostPrefixes() {
		got, err := DomainFromHost(prefix + "example.ch:443")
		require.NoError(t, err, prefix)
		assert.Equal(t, "example.ch", got, prefix)
	}
}
