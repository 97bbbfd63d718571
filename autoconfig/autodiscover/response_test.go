package autodiscover_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/autodiscover"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

func TestAutodiscoverEncryption_MapsEveryServerOfTheModel(t *testing.T) {
	tests := []struct {
		security       autoconfig.Security
		port           int
		ssl, encrypted string
	}{
		{autoconfig.SecurityTLS, 993, "on", "SSL"},
		{autoconfig.SecurityTLS, 995, "on", "SSL"},
		{autoconfig.SecurityTLS, 465, "on", "SSL"},
		{autoconfig.SecuritySTARTTLS, 587, "on", "TLS"},
		{autoconfig.SecuritySTARTTLS, 143, "on", "TLS"},
		{autoconfig.SecuritySTARTTLS, 110, "on", "TLS"},
		{autoconfig.SecuritySTARTTLS, 25, "on", "TLS"},
		{autoconfig.SecurityNone, 143, "off", "None"},
		{autoconfig.SecurityNone, 110, "off", "None"},
		{autoconfig.SecurityNone, 25, "off", "None"},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.security, tt.port), func(t *testing.T) {
			ssl, enc := autodiscover.Encryption(tt.security)
			assert.Equal(t, tt.ssl, ssl)
			assert.Equal(t, tt.encrypted, enc)
		})
		covered[fmt.Sprintf("%s/%d", tt.security, tt.port)] = true
	}
	// Every (security, port) pair of the embedded default and the test
	// configurations is in the table above.
	configs := []*autoconfig.Config{autoconfig.Default()}
	for _, name := range []string{"starttls-imap.yaml", "pop3-enabled.yaml", "legacy-pop3-only.yaml"} {
		configs = append(configs, loadConfig(t, "crossformat/"+name))
	}
	for _, cfg := range configs {
		for _, p := range cfg.Providers {
			for _, s := range append(append([]autoconfig.Server{}, p.Incoming...), p.Outgoing...) {
				key := fmt.Sprintf("%s/%d", s.Security, s.Port)
				assert.True(t, covered[key], "%s: %s %s is not in the table", cfg.Source, s.Protocol, key)
			}
		}
	}
}

func TestAutodiscover_EncryptionTLSMeansSTARTTLS(t *testing.T) {
	acct, err := testkit.Resolve(autoconfig.Default(), mustAddress(t, "jane@example.ch"))
	require.NoError(t, err)
	r := parsePOXResponse(t, autodiscover.Response(acct))
	protos := r.Account.Protocol
	require.Len(t, protos, 2)
	// 993 is implicit TLS: Encryption SSL. TLS here would make Outlook wait
	// for a plaintext greeting.
	assert.Equal(t, []string{"IMAP", "993", "on", "SSL"}, []string{protos[0].Type, strconv.Itoa(protos[0].Port), protos[0].SSL, protos[0].Encryption})
	assert.Equal(t, []string{"SMTP", "587", "on", "TLS"}, []string{protos[1].Type, strconv.Itoa(protos[1].Port), protos[1].SSL, protos[1].Encryption})
}

func TestAutodiscoverResponse_Golden(t *testing.T) {
	tests := []struct {
		name, config, address string
	}{
		{"default", "", "jane.doe@example.ch"},
		{"default-idn-and-quoted", "", `"jane&<doe>"@Bücher.example`},
		{"starttls-imap", "crossformat/starttls-imap.yaml", "bob@mail.example.org"},
		{"pop3-enabled", "crossformat/pop3-enabled.yaml", "carol@bücher.example"},
		{"legacy-pop3-only", "crossformat/legacy-pop3-only.yaml", "dave@legacy.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := autoconfig.Default()
			if tt.config != "" {
				cfg = loadConfig(t, tt.config)
			}
			acct, err := testkit.Resolve(cfg, mustAddress(t, tt.address))
			require.NoError(t, err)
			testkit.Golden(t, "autodiscover/"+tt.name+".xml", autodiscover.Response(acct))
		})
	}
}

// Every field of the response read back equals the model.
func TestAutodiscoverResponse_ParseBackEqualsModel(t *testing.T) {
	tests := []struct {
		config, address string
	}{
		{"", "jane.doe@example.ch"},
		{"", `"a&b<c"@exämple.ch`},
		{"crossformat/starttls-imap.yaml", "bob@mail.example.org"},
		{"crossformat/pop3-enabled.yaml", "carol@example.net"},
		{"crossformat/legacy-pop3-only.yaml", "dave@legacy.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.config+" "+tt.address, func(t *testing.T) {
			cfg := autoconfig.Default()
			if tt.config != "" {
				cfg = loadConfig(t, tt.config)
			}
			acct, err := testkit.Resolve(cfg, mustAddress(t, tt.address))
			require.NoError(t, err)
			r := parsePOXResponse(t, autodiscover.Response(acct))

			assert.Empty(t, r.User.DisplayName, "no name was given: never the address")
			assert.Equal(t, acct.LoginAddress(), r.User.AutoDiscoverSMTPAddress)
			assert.Equal(t, "email", r.Account.AccountType)
			assert.Equal(t, "settings", r.Account.Action)

			want := acct.Autodiscover
			require.Len(t, r.Account.Protocol, len(want))
			incoming := want[0].Username
			for i, s := range want {
				p := r.Account.Protocol[i]
				assert.Equal(t, strings.ToUpper(string(s.Protocol)), p.Type)
				assert.Equal(t, s.Host, p.Server)
				assert.Equal(t, s.Port, p.Port)
				assert.Equal(t, s.Username, p.LoginName)
				// Outlook's words, written out: SSL is implicit TLS, TLS is STARTTLS.
				words := map[autoconfig.Security][2]string{autoconfig.SecurityTLS: {"on", "SSL"},
					autoconfig.SecuritySTARTTLS: {"on", "TLS"}, autoconfig.SecurityNone: {"off", "None"}}[s.Security]
				assert.Equal(t, words, [2]string{p.SSL, p.Encryption})
				sec, ok := p.Security()
				assert.True(t, ok)
				assert.Equal(t, s.Security, sec, "the reader is the writer's inverse")
				assert.Equal(t, "off", p.DomainRequired)
				assert.Equal(t, "off", p.SPA, "SPA defaults to on (NTLM): always off")
				assert.Equal(t, "on", p.AuthRequired)
				if s.Protocol == autoconfig.SMTP {
					assert.Equal(t, map[bool]string{true: "on", false: "off"}[s.Username == incoming], p.UsePOPAuth)
					assert.Equal(t, "off", p.SMTPLast)
				} else {
					assert.Empty(t, p.UsePOPAuth)
					assert.Empty(t, p.SMTPLast)
				}
			}
		})
	}
}

func TestAutodiscoverResponse_ElementOrderFollowsMicrosoftReference(t *testing.T) {
	acct, err := testkit.Resolve(autoconfig.Default(), mustAddress(t, "jane@example.ch"))
	require.NoError(t, err)
	r := parsePOXResponse(t, autodiscover.Response(acct))
	common := []string{"Type", "Server", "Port", "LoginName", "DomainRequired", "SPA", "SSL", "Encryption", "AuthRequired"}
	assert.Equal(t, common, r.Account.Protocol[0].Children)
	assert.Equal(t, append(common, "UsePOPAuth", "SMTPLast"), r.Account.Protocol[1].Children)
}

func TestAutodiscoverServers_OnePerTypeIMAPFirst(t *testing.T) {
	tests := []struct {
		name, config, address string
		want                  []string
	}{
		{"pop3 off by default", "", "a@example.ch", []string{"imap 993", "smtp 587"}},
		{"pop3 when enabled", "crossformat/pop3-enabled.yaml", "a@example.net", []string{"imap 993", "pop3 995", "smtp 465"}},
		{"pop3 when there is no imap", "crossformat/legacy-pop3-only.yaml", "a@legacy.example.com", []string{"pop3 110", "smtp 25"}},
		{"first smtp only", "crossformat/starttls-imap.yaml", "a@example.org", []string{"imap 143", "smtp 587"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := autoconfig.Default()
			if tt.config != "" {
				cfg = loadConfig(t, tt.config)
			}
			acct, err := testkit.Resolve(cfg, mustAddress(t, tt.address))
			require.NoError(t, err)
			var got []string
			for _, s := range acct.Autodiscover {
				got = append(got, fmt.Sprintf("%s %d", s.Protocol, s.Port))
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestAutodiscover_UsePOPAuthOnlyWhenUsernamesMatch(t *testing.T) {
	acct, err := testkit.Resolve(loadConfig(t, "crossformat/legacy-pop3-only.yaml"), mustAddress(t, "dave@legacy.example.com"))
	require.NoError(t, err)
	protos := parsePOXResponse(t, autodiscover.Response(acct)).Account.Protocol
	require.Len(t, protos, 2)
	assert.Equal(t, "dave", protos[0].LoginName)
	assert.Equal(t, "dave@legacy.example.com", protos[1].LoginName)
	assert.Equal(t, "off", protos[1].UsePOPAuth, "SMTP has its own username: Outlook must not reuse the POP3 one")
}

func TestAutodiscoverResponse_EscapesTheAddress(t *testing.T) {
	acct, err := testkit.Resolve(autoconfig.Default(), mustAddress(t, `"</LoginName><x>&"@example.ch`))
	require.NoError(t, err)
	body := autodiscover.Response(acct)
	assert.NotContains(t, string(body), "<x>")
	r := parsePOXResponse(t, body)
	assert.Equal(t, acct.LoginAddress(), r.User.AutoDiscoverSMTPAddress)
	assert.Equal(t, acct.LoginAddress(), r.Account.Protocol[0].LoginName)
	assert.Contains(t, acct.LoginAddress(), "<x>")
}

func TestAutodiscoverError_Golden(t *testing.T) {
	at := time.Date(2025, 3, 14, 21, 25, 4, 889708300, time.UTC)
	tests := []struct {
		name  string
		code  autodiscover.ErrorCode
		debug string
	}{
		{"error-500", autodiscover.NotFound, "this service has no mail settings for that domain"},
		{"error-600", autodiscover.InvalidRequest, "the body is not well-formed XML"},
		{"error-601", autodiscover.SchemaNotOffered, "only the Outlook responseschema/2006a is offered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := autodiscover.ErrorDocument(tt.code, tt.debug, at, 4130155072)
			testkit.Golden(t, "autodiscover/"+tt.name+".xml", body)
			e := parsePOXError(t, body)
			assert.Equal(t, int(tt.code), e.ErrorCode)
			assert.Equal(t, tt.code.Message(), e.Message)
			assert.Equal(t, tt.debug, e.DebugData)
			assert.Equal(t, "21:25:04.8897083", e.Time)
			assert.Equal(t, "4130155072", e.ID)
		})
	}
}

func TestAutodiscoverError_EscapesDebugData(t *testing.T) {
	body := autodiscover.ErrorDocument(autodiscover.InvalidRequest, "a<b>&\x01", time.Unix(0, 0), 1)
	assert.Equal(t, "a<b>&\uFFFD", parsePOXError(t, body).DebugData)
}

func TestAutodiscoverResponse_DisplayNameIsThePersonsName(t *testing.T) {
	acct := autoconfig.NewAccount(autoconfig.Default().CatchAll, mustAddress(t, "jane@example.ch"), "Jane <Doe>")
	r := parsePOXResponse(t, autodiscover.Response(acct))
	assert.Equal(t, "Jane <Doe>", r.User.DisplayName)
}
