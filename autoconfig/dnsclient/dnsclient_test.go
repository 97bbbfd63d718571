package dnsclient_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/dnsclient"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnstest"
)

// startZone serves the records (relative to example.test.) on loopback.
func startZone(t *testing.T, records ...string) (*dnstest.Server, *dnsclient.Server) {
	t.Helper()
	zone := "$ORIGIN example.test.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n" + strings.Join(records, "\n") + "\n"
	path := filepath.Join(t.TempDir(), "zone")
	require.NoError(t, os.WriteFile(path, []byte(zone), 0o600))
	srv := dnstest.Start(t, path)
	return srv, dnsclient.New(srv.Addr)
}

// txtSet is n TXT records of 200 bytes each for name.
func txtSet(name string, n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("%s TXT \"%03d%s\"", name, i, strings.Repeat("x", 197)))
	}
	return out
}

func lookupOf(c *dnsclient.Server) dnsclient.Lookup {
	return func(name string, qtype uint16) (*dns.Msg, error) {
		return c.Exchange(context.Background(), name, qtype)
	}
}

func TestExchange_TruncatedAnswerIsAskedAgainOverTCP(t *testing.T) {
	// 30 × 200 bytes: over the 4096 bytes advertised for UDP.
	_, c := startZone(t, txtSet("big", 30)...)
	resp, err := c.Exchange(context.Background(), "big.example.test", dns.TypeTXT)
	require.NoError(t, err)
	assert.False(t, resp.Truncated)
	assert.Len(t, resp.Answer, 30, "every record, read over TCP")
}

func TestExchange_OversizeAnswerIsRefused(t *testing.T) {
	// 100 × 200 bytes: over MaxResponseSize even over TCP.
	_, c := startZone(t, txtSet("huge", 100)...)
	_, err := c.Exchange(context.Background(), "huge.example.test", dns.TypeTXT)
	require.ErrorIs(t, err, dnsclient.ErrTooLarge)
}

func TestExchange_ResponseCodesAreTheCallers(t *testing.T) {
	_, c := startZone(t, "a A 192.0.2.1")
	resp, err := c.Exchange(context.Background(), "missing.example.test", dns.TypeA)
	require.NoError(t, err)
	assert.Equal(t, dns.RcodeNameError, resp.Rcode)
}

func TestResolve_Chains(t *testing.T) {
	// hN is N CNAMEs away from an address.
	records := []string{"h0 A 192.0.2.10", "h0 AAAA 2001:db8::10", "loop1 CNAME loop2", "loop2 CNAME loop1", "none TXT \"x\""}
	for i := 1; i <= dnsclient.MaxCNAMEHops+1; i++ {
		records = append(records, fmt.Sprintf("h%d CNAME h%d", i, i-1))
	}
	_, c := startZone(t, records...)
	tests := []struct {
		name   string
		hops   int
		err    error
		noAddr bool
	}{
		{name: "h0"},
		{name: "h1", hops: 1},
		{name: fmt.Sprintf("h%d", dnsclient.MaxCNAMEHops), hops: dnsclient.MaxCNAMEHops},
		{name: fmt.Sprintf("h%d", dnsclient.MaxCNAMEHops+1), err: dnsclient.ErrLongChain},
		{name: "loop1", err: dnsclient.ErrLongChain},
		{name: "none", noAddr: true},
		{name: "nxdomain", noAddr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain, err := dnsclient.Resolve(tt.name+".example.test", lookupOf(c))
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Len(t, chain.CNAMEs, tt.hops)
			if tt.noAddr {
				assert.Empty(t, chain.Addrs)
				return
			}
			assert.Equal(t, []netip.Addr{netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("2001:db8::10")}, chain.Addrs)
			assert.Equal(t, "h0.example.test.", chain.Last(tt.name+".example.test"))
		})
	}
}

// A recursive resolver answers the whole chain at once: no further query.
func TestResolve_RecursiveAnswerIsReadWhole(t *testing.T) {
	asked := 0
	lookup := func(name string, qtype uint16) (*dns.Msg, error) {
		asked++
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		if qtype == dns.TypeA {
			m.Answer = []dns.RR{
				&dns.CNAME{Hdr: dns.RR_Header{Name: "www.example.test.", Rrtype: dns.TypeCNAME, Class: dns.ClassINET}, Target: "web.example.test."},
				&dns.CNAME{Hdr: dns.RR_Header{Name: "web.example.test.", Rrtype: dns.TypeCNAME, Class: dns.ClassINET}, Target: "host.example.test."},
				&dns.A{Hdr: dns.RR_Header{Name: "host.example.test.", Rrtype: dns.TypeA, Class: dns.ClassINET}, A: netip.MustParseAddr("192.0.2.7").AsSlice()},
			}
		}
		return m, nil
	}
	chain, err := dnsclient.Resolve("www.example.test", lookup)
	require.NoError(t, err)
	assert.Equal(t, []string{"web.example.test.", "host.example.test."}, chain.CNAMEs)
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("192.0.2.7")}, chain.Addrs)
	assert.Equal(t, 2, asked, "A and AAAA of the name asked, nothing more")
}
