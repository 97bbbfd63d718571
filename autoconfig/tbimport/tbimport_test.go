package tbimport_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/tbimport"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// imported is an account as the app imports it.
type imported struct {
	incomingProtocol, incomingPort, incomingSecurity, incomingAuth int
	incomingHost, incomingUser                                     string
	smtpHost, smtpUser                                             string
	smtpPort, smtpSecurity, smtpAuth                               int
	email, name                                                    string
}

// read is a reader written from the format's description (version 1):
// strict JSON types and positions, the values the app accepts, no null
// where it reads a string, no line breaks, ASCII hosts and address.
func read(t *testing.T, payload []byte) (imported, error) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var root []any
	if err := dec.Decode(&root); err != nil {
		return imported{}, err
	}
	var a imported
	fail := func(f string, args ...any) (imported, error) { return imported{}, fmt.Errorf(f, args...) }
	if len(root) != 4 {
		return fail("root has %d elements, want 4 (one account)", len(root))
	}
	if v, ok := integer(root[0]); !ok || v != 1 {
		return fail("format version %v", root[0])
	}
	misc, ok := root[1].([]any)
	if !ok || len(misc) < 2 {
		return fail("miscellaneous data %v", root[1])
	}
	if n, ok := integer(misc[0]); !ok || n != 1 {
		return fail("sequence number %v", misc[0])
	}
	if n, ok := integer(misc[1]); !ok || n != 1 {
		return fail("sequence end %v", misc[1])
	}
	in, ok := root[2].([]any)
	if !ok || len(in) < 6 || len(in) > 8 {
		return fail("incoming server %v", root[2])
	}
	var err error
	if a.incomingProtocol, err = enum(in[0], 0, 1); err != nil {
		return fail("incoming protocol: %v", err)
	}
	if a.incomingHost, a.incomingPort, a.incomingSecurity, a.incomingAuth, a.incomingUser, err = serverFields(in); err != nil {
		return fail("incoming: %v", err)
	}
	for i := 6; i < len(in); i++ { // account name, password: strings if present
		if _, err := text(in[i]); err != nil {
			return fail("incoming optional %d: %v", i, err)
		}
	}
	groups, ok := root[3].([]any)
	if !ok || len(groups) != 1 {
		return fail("outgoing server groups %v", root[3])
	}
	group, ok := groups[0].([]any)
	if !ok || len(group) < 2 {
		return fail("outgoing server group %v", groups[0])
	}
	out, ok := group[0].([]any)
	if !ok || len(out) < 6 || len(out) > 7 {
		return fail("outgoing server %v", group[0])
	}
	if _, err := enum(out[0], 0, 0); err != nil {
		return fail("outgoing protocol: %v", err)
	}
	if a.smtpHost, a.smtpPort, a.smtpSecurity, a.smtpAuth, a.smtpUser, err = serverFields(out); err != nil {
		return fail("outgoing: %v", err)
	}
	id, ok := group[1].([]any)
	if !ok || len(id) < 2 {
		return fail("identity %v", group[1])
	}
	if a.email, err = text(id[0]); err != nil || !ascii(a.email) || strings.Contains(a.email, `"`) {
		return fail("identity address %q: %v", a.email, err)
	}
	if a.name, err = text(id[1]); err != nil {
		return fail("identity name: %v", err)
	}
	return a, nil
}

func serverFields(s []any) (host string, port, security, auth int, user string, err error) {
	if host, err = text(s[1]); err != nil || !ascii(host) || host == "" {
		return "", 0, 0, 0, "", fmt.Errorf("host %v", s[1])
	}
	if port, err = enum(s[2], 1, 65535); err != nil {
		return "", 0, 0, 0, "", fmt.Errorf("port: %v", err)
	}
	if security, err = enum(s[3], 0, 3); err != nil || security == 1 {
		return "", 0, 0, 0, "", fmt.Errorf("security %v", s[3])
	}
	if auth, err = enum(s[4], 0, 6); err != nil || auth == 3 || auth == 4 {
		return "", 0, 0, 0, "", fmt.Errorf("auth %v", s[4])
	}
	if user, err = text(s[5]); err != nil {
		return "", 0, 0, 0, "", fmt.Errorf("username: %v", err)
	}
	return host, port, security, auth, user, nil
}

func integer(v any) (int, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return int(i), err == nil
}

func enum(v any, lo, hi int) (int, error) {
	i, ok := integer(v)
	if !ok || i < lo || i > hi {
		return 0, fmt.Errorf("%v is not an integer from %d to %d", v, lo, hi)
	}
	return i, nil
}

func text(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%v is not a string", v)
	}
	if strings.ContainsAny(s, "\r\n\u0085\u2028\u2029") {
		return "", errors.New("line break")
	}
	return s, nil
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

var security = map[autoconfig.Security]int{autoconfig.SecurityTLS: 3, autoconfig.SecuritySTARTTLS: 2}

func TestPayload_ReadBackEqualsTheAccount(t *testing.T) {
	tests := []struct {
		name, config, address, displayName string
	}{
		{"embedded default", "", "Jane.Doe@example.ch", "Jane Doe"},
		{"SMTP username differs", "apple-dav.yaml", "dave@legacy.example.com", ""},
		{"IDN domain", "", "jane@bücher.ch", "Jane"},
		{"quotes and non-ASCII letters in the name", "", "anna@example.ch", `Anna "Nina" Müller-Łukasiewicz`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := autoconfig.Default()
			if tt.config != "" {
				cfg = testkit.Config(t, tt.config)
			}
			addr := testkit.Address(t, tt.address)
			acct := autoconfig.NewAccount(testkit.Provider(t, cfg, addr.Domain), addr, tt.displayName)
			payload, err := tbimport.Payload(acct)
			require.NoError(t, err)
			got, err := read(t, payload)
			require.NoError(t, err, "%s", payload)

			in, out := acct.PreferredIncoming(), acct.PreferredOutgoing()
			wantProto := map[autoconfig.Protocol]int{autoconfig.IMAP: 0, autoconfig.POP3: 1}[in.Protocol]
			assert.Equal(t, imported{
				incomingProtocol: wantProto, incomingHost: in.Host, incomingPort: in.Port,
				incomingSecurity: security[in.Security], incomingAuth: 1, incomingUser: in.Username,
				smtpHost: out.Host, smtpPort: out.Port, smtpSecurity: security[out.Security], smtpAuth: 1, smtpUser: out.Username,
				email: acct.Address.ASCII(), name: tt.displayName,
			}, got)
			assert.NotContains(t, string(payload), "null", "optional strings are left out, never null")
		})
	}
}

func TestPayload_EmbeddedDefaultIsIMAP993AndSMTP587(t *testing.T) {
	acct := testkit.Account(t, autoconfig.Default(), "jane@example.ch")
	payload, err := tbimport.Payload(acct)
	require.NoError(t, err)
	assert.JSONEq(t, `[1,[1,1],[0,"mail.infomaniak.com",993,3,1,"jane@example.ch"],[[[0,"mail.infomaniak.com",587,2,1,"jane@example.ch"],["jane@example.ch",""]]]]`, string(payload))
}

func TestPayload_RefusesWhatTheAppRefuses(t *testing.T) {
	plain := testkit.ParseConfig(t, `
providers:
  - id: p.example
    display_name: P
    domains: [p.example]
    incoming: [{protocol: imap, host: imap.p.example, port: 143, security: none}]
    outgoing: [{protocol: smtp, host: smtp.p.example, port: 587, security: starttls}]
`)
	tests := []struct {
		name    string
		cfg     *autoconfig.Config
		address string
		display string
	}{
		{"non-ASCII local part", autoconfig.Default(), "jürg@example.ch", ""},
		{"quoted local part", autoconfig.Default(), `"jane.doe"@example.ch`, ""},
		{"line break in the name", autoconfig.Default(), "jane@example.ch", "Jane\nDoe"},
		{"Unicode line separator in the name", autoconfig.Default(), "jane@example.ch", "Jane\u2028Doe"},
		{"a server without TLS", plain, "jane@p.example", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := testkit.Address(t, tt.address)
			acct := autoconfig.NewAccount(testkit.Provider(t, tt.cfg, addr.Domain), addr, tt.display)
			_, err := tbimport.Payload(acct)
			require.ErrorIs(t, err, tbimport.ErrUnexpressible)
			assert.Equal(t, http.StatusUnprocessableEntity, httpkit.Status(err), "the route's status")
			assert.Contains(t, err.Error(), "Thunderbird for Android")
		})
	}
}
