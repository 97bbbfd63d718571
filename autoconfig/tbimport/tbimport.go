// Package tbimport renders the account-import payload that Thunderbird for
// Android (the K-9 Mail successor) reads from a QR code: its onboarding
// screen and Settings → Import settings scan it and create the IMAP (or
// POP3) and SMTP account directly, asking only for the password.
//
// The format is version 1 of "Thunderbird Export for Mobile", published as
// feature/migration/qrcode/qr-code-format.md in the thunderbird-android
// repository (specification dated 2025-02-06); Thunderbird desktop's
// "Export for Mobile" writes the same. The payload is UTF-8 JSON made of
// nested arrays read by position:
//
//	[1, [1, 1], INCOMING, [[OUTGOING, IDENTITY]]]
//
// The reader validates every element and skips an account with any value it
// does not support, so this package refuses (ErrUnexpressible) what the app
// would refuse instead of drawing a code that does nothing. Payload writes
// no password (the app asks for it); PayloadWithPassword writes a device
// password made for this device, which the format carries (optional
// Password elements of both servers).
package tbimport

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// FormatVersion is the data format version written (and the only one the
// specification describes).
const FormatVersion = 1

// Protocol, ConnectionSecurity and AuthenticationType values of the format.
const (
	protocolIMAP = 0
	protocolPOP3 = 1
	protocolSMTP = 0

	securityPlain    = 0
	securitySTARTTLS = 2 // "AlwaysStartTls"; 1 is reserved and never written
	securityTLS      = 3

	authPasswordCleartext = 1 // the password over the encrypted connection
	authOAuth2            = 6
)

// Payload renders the import payload of acct: its preferred incoming server
// (IMAP, or POP3 where the provider has no IMAP), its preferred SMTP server,
// the login names, and one identity with the address and the person's name
// (empty when unknown). The account name is left out, so the app names the
// account after the address.
//
// It fails with an *UnexpressibleError that says why when the app could not
// hold the account: an address that is not ASCII with a plain
// dot-atom local part, a line break in the name, or a server without TLS.
func Payload(acct autoconfig.Account) ([]byte, error) {
	return payload(acct, "")
}

// PayloadWithPassword is Payload with password as both servers' password,
// so that the app asks for nothing. The caller keeps the result as it
// keeps the password: never cached, logged or put in a URL.
func PayloadWithPassword(acct autoconfig.Account, password string) ([]byte, error) {
	if password == "" || strings.ContainsAny(password, lineBreaks) {
		return nil, unexpressible("the password is empty or contains a line break")
	}
	return payload(acct, password)
}

// lineBreaks are what the reader refuses in any text.
const lineBreaks = "\r\n\u0085\u2028\u2029"

func payload(acct autoconfig.Account, password string) ([]byte, error) {
	if err := checkAddress(acct.Address); err != nil {
		return nil, err
	}
	if strings.ContainsAny(acct.DisplayName, "\r\n\u0085\u2028\u2029") {
		return nil, unexpressible("the name contains a line break, which Thunderbird for Android refuses")
	}
	in, err := incoming(acct.PreferredIncoming())
	if err != nil {
		return nil, err
	}
	out, err := server(protocolSMTP, acct.PreferredOutgoing())
	if err != nil {
		return nil, err
	}
	if password != "" {
		// The incoming server's account name comes before its password:
		// "" makes the app name the account after the address, as when
		// both are left out.
		in = append(in, "", password)
		out = append(out, password)
	}
	identity := []any{acct.SenderAddress(), acct.DisplayName}
	payload := []any{FormatVersion, []int{1, 1}, in, []any{[]any{out, identity}}}
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encoding the import payload: %w", err)
	}
	return b, nil
}

func incoming(s autoconfig.Server) ([]any, error) {
	switch s.Protocol {
	case autoconfig.IMAP:
		return server(protocolIMAP, s)
	case autoconfig.POP3:
		return server(protocolPOP3, s)
	}
	return nil, unexpressible("the provider's incoming server is neither IMAP nor POP3")
}

// server is [protocol, host, port, security, auth, username]: the optional
// account name and password are left out, never written as null, which the
// reader takes for a value of the wrong type.
func server(protocol int, s autoconfig.Server) ([]any, error) {
	var sec int
	switch s.Security {
	case autoconfig.SecurityTLS:
		sec = securityTLS
	case autoconfig.SecuritySTARTTLS:
		sec = securitySTARTTLS
	default:
		// The format could say "plain", but a code that sends the password
		// unencrypted is not one this service draws.
		return nil, unexpressible("the provider's " + strings.ToUpper(string(s.Protocol)) + " server has no TLS")
	}
	auth := authPasswordCleartext
	if s.Auth == autoconfig.AuthOAuth2 {
		auth = authOAuth2
	}
	if !isASCII(s.Host) || strings.ContainsAny(s.Username, "\r\n\u0085\u2028\u2029") {
		return nil, unexpressible("a server name or login cannot be written in the code")
	}
	return []any{protocol, s.Host, s.Port, sec, auth, s.Username}, nil
}

// checkAddress accepts what the reader accepts as an identity's address:
// ASCII, with a plain dot-atom local part (no quoted string). The domain is
// already ASCII (punycode).
func checkAddress(addr autoconfig.Address) error {
	if !isASCII(addr.Local) || strings.HasPrefix(addr.Local, `"`) {
		return unexpressible("Thunderbird for Android can only import addresses written in ASCII letters without quotes")
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] < 0x20 {
			return false
		}
	}
	return true
}

// ErrUnexpressible means the account cannot be put in an import code: every
// *UnexpressibleError is one.
var ErrUnexpressible = errors.New("no Thunderbird for Android import code")

// UnexpressibleError says why an account cannot be put in an import code.
// Its message never contains the address or the name.
type UnexpressibleError struct{ Reason string }

func (e *UnexpressibleError) Error() string { return ErrUnexpressible.Error() + ": " + e.Reason }

func (e *UnexpressibleError) Unwrap() error { return ErrUnexpressible }

// HTTPStatus is 422 where a route draws the code: the request was
// understood, but this account cannot be put in the code.
func (e *UnexpressibleError) HTTPStatus() int { return http.StatusUnprocessableEntity }

func unexpressible(reason string) error { return &UnexpressibleError{Reason: reason} }
