package autoconfig

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDAVURL(t *testing.T) {
	tests := []struct {
		url     string
		want    DAVEndpoint
		wantErr bool
	}{
		{"https://dav.example.net/caldav/", DAVEndpoint{Host: "dav.example.net", Port: 443, TLS: true, URL: "https://dav.example.net/caldav/", Path: "/caldav/"}, false},
		{"http://dav.example.net/", DAVEndpoint{Host: "dav.example.net", Port: 80, URL: "http://dav.example.net/", Path: "/"}, false},
		{"https://DAV.Example.net:8443/x", DAVEndpoint{Host: "dav.example.net", Port: 8443, TLS: true, URL: "https://DAV.Example.net:8443/x", Path: "/x"}, false},
		{"https://dav.bücher.example/", DAVEndpoint{Host: "dav.xn--bcher-kva.example", Port: 443, TLS: true, URL: "https://dav.b%C3%BCcher.example/", Path: "/"}, false},
		{"https://dav.example.net", DAVEndpoint{Host: "dav.example.net", Port: 443, TLS: true, URL: "https://dav.example.net", Path: "/"}, false},
		{"https://dav.example.net/dav/cal%20x/?q=1", DAVEndpoint{Host: "dav.example.net", Port: 443, TLS: true, URL: "https://dav.example.net/dav/cal%20x/?q=1", Path: "/dav/cal%20x/"}, false},
		{"ftp://dav.example.net/", DAVEndpoint{}, true},
		{"/relative", DAVEndpoint{}, true},
		{"https://dav.example.net:0/", DAVEndpoint{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			got, err := ParseDAVURL(tc.url)
			if tc.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// The DAV decisions are made once, with the other settings: an Account
// logs in to both with the full address, a Domain keeps the placeholder.
func TestDecide_DAV(t *testing.T) {
	p := &Provider{ID: "p.example", Incoming: []Server{{Protocol: IMAP, Host: "imap.p.example", Port: 993, Security: SecurityTLS, Username: PlaceholderLocalPart}},
		Outgoing:  []Server{{Protocol: SMTP, Host: "smtp.p.example", Port: 465, Security: SecurityTLS, Username: PlaceholderAddress}},
		CalDAVURL: "https://dav.p.example/cal/"}
	s := Decide(p)
	assert.True(t, s.CalDAV.Offered())
	assert.False(t, s.CardDAV.Offered())
	assert.Equal(t, "/cal/", s.CalDAV.Path)

	addr, err := ParseAddress("Jane@P.example")
	require.NoError(t, err)
	a := NewAccount(p, addr, "")
	assert.Equal(t, "jane@p.example", a.CalDAV.Username, "the full address, not the IMAP login")
	assert.Equal(t, "https://dav.p.example/cal/", a.CalDAV.URL)
	assert.Equal(t, DAVEndpoint{}, a.CardDAV)
	assert.Equal(t, PlaceholderAddress, NewDomain(p, "p.example").CalDAV.Username)
}
