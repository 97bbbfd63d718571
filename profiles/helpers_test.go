package profiles

import (
	"testing"

	"github.com/stretchr/testify/require"
	"howett.net/plist"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// exampleConfig is testdata/config/apple-dav.yaml: providers with CalDAV
// and CardDAV, SMTP on 465, and a POP3-only provider.
func exampleConfig(t testing.TB) *autoconfig.Config {
	t.Helper()
	cfg, err := autoconfig.LoadFile(testkit.Testdata(t, "config/apple-dav.yaml"))
	require.NoError(t, err)
	return cfg
}

// account resolves address with cfg.
func account(t testing.TB, cfg *autoconfig.Config, address string) autoconfig.Account {
	t.Helper()
	addr, err := autoconfig.ParseAddress(address)
	require.NoError(t, err)
	acct, err := testkit.Resolve(cfg, addr)
	require.NoError(t, err)
	return acct
}

// render is Render that fails the test on error. The person's name is the
// account's, as the handler resolves it from the request (opts.Name).
func render(t testing.TB, acct autoconfig.Account, opts Options) []byte {
	t.Helper()
	acct.DisplayName = opts.Name
	out, err := Render(acct, opts)
	require.NoError(t, err)
	return out
}

// parsedPayload decodes one PayloadContent element into the typed struct
// its PayloadType names.
type parsedPayload struct{ value any }

func (p *parsedPayload) UnmarshalPlist(unmarshal func(any) error) error {
	var h PayloadHeader
	if err := unmarshal(&h); err != nil {
		return err
	}
	switch h.PayloadType {
	case TypeMail:
		var m MailPayload
		err := unmarshal(&m)
		p.value = m
		return err
	case TypeCalDAV:
		var c CalDAVPayload
		err := unmarshal(&c)
		p.value = c
		return err
	case TypeCardDAV:
		var c CardDAVPayload
		err := unmarshal(&c)
		p.value = c
		return err
	}
	p.value = h
	return nil
}

// parseProfile reads a rendered profile back into the typed structs.
func parseProfile(t testing.TB, data []byte) Profile {
	t.Helper()
	var parsed struct {
		Profile
		PayloadContent []parsedPayload `plist:"PayloadContent"`
	}
	format, err := plist.Unmarshal(data, &parsed)
	require.NoError(t, err)
	require.Equal(t, plist.XMLFormat, format)
	p := parsed.Profile
	p.PayloadContent = nil
	for _, pp := range parsed.PayloadContent {
		p.PayloadContent = append(p.PayloadContent, pp.value)
	}
	return p
}

// parseGeneric reads a profile into plain maps, with the decoder's own
// types (uint64 for <integer>, bool for <true/>…).
func parseGeneric(t testing.TB, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	_, err := plist.Unmarshal(data, &m)
	require.NoError(t, err)
	return m
}
