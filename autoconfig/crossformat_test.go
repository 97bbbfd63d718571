package autoconfig_test

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// tbServer is a Thunderbird incomingServer or outgoingServer read back.
type tbServer struct {
	Type       string `xml:"type,attr"`
	Hostname   string `xml:"hostname"`
	Port       int    `xml:"port"`
	SocketType string `xml:"socketType"`
	Username   string `xml:"username"`
}

type tbConfig struct {
	Incoming []tbServer `xml:"emailProvider>incomingServer"`
	Outgoing []tbServer `xml:"emailProvider>outgoingServer"`
}

// connection is what both formats must agree on for one protocol.
type connection struct {
	Host     string
	Port     int
	Security autoconfig.Security
	Username string
}

func tbSecurity(socketType string) autoconfig.Security {
	switch socketType {
	case "SSL":
		return autoconfig.SecurityTLS
	case "STARTTLS":
		return autoconfig.SecuritySTARTTLS
	default:
		return autoconfig.SecurityNone
	}
}

// The Thunderbird document and the Autodiscover response for one address
// name the same hosts, ports, security and usernames: Autodiscover's one
// Protocol per type is Thunderbird's default (first) server of that type.
func TestCrossFormat_ThunderbirdAndAutodiscoverAgree(t *testing.T) {
	tests := []struct {
		config    string
		addresses []string
	}{
		{"", []string{"jane.doe@example.ch", "Jane@Bücher.example"}},
		{"crossformat/starttls-imap.yaml", []string{"bob@example.org", "x@sub.example.org"}},
		{"crossformat/pop3-enabled.yaml", []string{"carol@example.net", "carol@bücher.example"}},
		{"crossformat/legacy-pop3-only.yaml", []string{"dave@legacy.example.com"}},
	}
	for _, tt := range tests {
		cfg := autoconfig.Default()
		if tt.config != "" {
			cfg = loadConfig(t, tt.config)
		}
		for _, address := range tt.addresses {
			t.Run(tt.config+" "+address, func(t *testing.T) {
				addr := mustAddress(t, address)
				acct, err := cfg.Resolve(addr)
				require.NoError(t, err)

				var tb tbConfig
				require.NoError(t, xml.Unmarshal(autoconfig.ThunderbirdConfig(acct.Provider, addr.Domain), &tb))
				tbDefault := map[string]connection{}
				for _, s := range append(tb.Incoming, tb.Outgoing...) {
					if _, seen := tbDefault[s.Type]; !seen {
						tbDefault[s.Type] = connection{s.Hostname, s.Port, tbSecurity(s.SocketType), autoconfig.ExpandUsername(s.Username, addr)}
					}
				}

				ad := parsePOXResponse(t, autoconfig.AutodiscoverResponse(acct))
				adConn := map[string]connection{}
				for _, p := range ad.Response.Account.Protocol {
					typ := strings.ToLower(p.Type)
					require.NotContains(t, adConn, typ, "one Protocol per type")
					adConn[typ] = connection{p.Server, p.Port, securityOf(p.SSL, p.Encryption), p.LoginName}
				}

				require.Contains(t, adConn, "smtp")
				for typ, c := range adConn {
					assert.Equal(t, tbDefault[typ], c, "%s differs between the formats", typ)
				}
				// Autodiscover leaves out only a discouraged POP3 when IMAP exists.
				for typ := range tbDefault {
					if _, ok := adConn[typ]; !ok {
						assert.Equal(t, "pop3", typ)
						assert.Contains(t, adConn, "imap")
						assert.False(t, acct.Provider.AutodiscoverPOP3)
					}
				}
			})
		}
	}
}
