package profiles

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// The namespace is what its comment says it is.
func TestIdentityNamespace(t *testing.T) {
	urlNamespace := [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	assert.Equal(t, formatUUID(identityNamespace), uuidV5(urlNamespace, "https://github.com/mailautoconf/mailautoconf/profiles"))
}

// RFC 9562 Appendix A.4's example: www.example.com in the DNS namespace.
func TestUUIDv5KnownAnswer(t *testing.T) {
	dnsNamespace := [16]byte{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	assert.Equal(t, "2ED6657D-E927-568B-95E1-2665A8AEA6A2", uuidV5(dnsNamespace, "www.example.com"))
}

// Pinned values: a change here changes every installed profile's identity
// (users get a second account). Bump identityVersion deliberately instead.
func TestIdentity_PinnedV1(t *testing.T) {
	id := newIdentity(account(t, autoconfig.Default(), "jane@example.ch"))
	assert.Equal(t, "1725808F-CF39-5FD6-BB01-132DC5F7B477", id.UUID(kindProfile))
	assert.Equal(t, "F52F52BA-9B01-5FC6-B870-269B1D80ED37", id.UUID(kindMail))
	assert.Equal(t, "com.infomaniak.mailautoconf.1725808F-CF39-5FD6-BB01-132DC5F7B477", id.ProfileIdentifier())
	assert.Equal(t, "com.infomaniak.mailautoconf.1725808F-CF39-5FD6-BB01-132DC5F7B477.mail", id.PayloadIdentifier(kindMail))
}

// A new download replaces the installed profile: the identities do not
// depend on the name or on which payloads are included.
func TestIdentity_StableAcrossCallsAndOptions(t *testing.T) {
	acct := account(t, exampleConfig(t), "jane@example.net")
	a, err := NewProfile(acct, Options{Name: "Jane", Include: allServices})
	require.NoError(t, err)
	b, err := NewProfile(acct, Options{Name: "Someone Else", Include: allServices})
	require.NoError(t, err)
	c, err := NewProfile(acct, Options{Include: IncludeMail})
	require.NoError(t, err)
	assert.Equal(t, a.PayloadUUID, b.PayloadUUID)
	assert.Equal(t, a.PayloadIdentifier, b.PayloadIdentifier)
	assert.Equal(t, a.PayloadUUID, c.PayloadUUID)
	assert.Equal(t, payloadHeaderOf(a.PayloadContent[0]), payloadHeaderOf(c.PayloadContent[0]))
	for i := range a.PayloadContent {
		assert.Equal(t, payloadHeaderOf(a.PayloadContent[i]).PayloadUUID, payloadHeaderOf(b.PayloadContent[i]).PayloadUUID)
	}
}

var uuidForm = regexp.MustCompile(`^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$`)

// No UUID or identifier is shared between accounts, nor between the profile
// and its payloads: one collision makes iOS replace another account.
func TestIdentity_DistinctAcrossAddressesAndPayloads(t *testing.T) {
	cfg := exampleConfig(t)
	def := autoconfig.Default()
	accounts := []autoconfig.Account{
		account(t, cfg, "jane@example.net"),
		account(t, cfg, "john@example.net"),
		account(t, cfg, "jane@sub.example.org"),
		account(t, def, "jane@example.net"), // same address, other provider
		account(t, def, "jane@example.ch"),
	}
	uuids := map[string]string{}
	total := 0
	identifiers := map[string]string{}
	for _, acct := range accounts {
		p, err := NewProfile(acct, Options{Include: allServices})
		require.NoError(t, err)
		what := acct.Provider.ID + " " + acct.Address.String()
		headers := []PayloadHeader{{PayloadUUID: p.PayloadUUID, PayloadIdentifier: p.PayloadIdentifier}}
		for _, c := range p.PayloadContent {
			headers = append(headers, payloadHeaderOf(c))
		}
		total += len(headers)
		for _, h := range headers {
			assert.Regexp(t, uuidForm, h.PayloadUUID)
			if prev, dup := uuids[h.PayloadUUID]; dup {
				t.Errorf("UUID %s of %s already used by %s", h.PayloadUUID, what, prev)
			}
			uuids[h.PayloadUUID] = what
			if prev, dup := identifiers[h.PayloadIdentifier]; dup {
				t.Errorf("identifier %s of %s already used by %s", h.PayloadIdentifier, what, prev)
			}
			identifiers[h.PayloadIdentifier] = what
		}
	}
	assert.Equal(t, 3*4+2*2, total, "profile and payloads of each account")
}

func TestReverseDNS(t *testing.T) {
	assert.Equal(t, "com.infomaniak", reverseDNS("infomaniak.com"))
	assert.Equal(t, "ch.example.mail", reverseDNS("mail.example.ch"))
	assert.Equal(t, "localhost", reverseDNS("localhost"))
}

// Jane.Doe@ and jane.doe@ are one mailbox for a provider whose local parts
// are case-insensitive (the default): a second download replaces the
// profile instead of adding a second account. Where the provider says its
// local parts are case sensitive, they are two mailboxes.
func TestIdentity_OneMailboxOneIdentity(t *testing.T) {
	def := autoconfig.Default()
	a, err := NewProfile(account(t, def, "Jane.Doe@Example.CH"), Options{Include: IncludeMail})
	require.NoError(t, err)
	b, err := NewProfile(account(t, def, "jane.doe@example.ch"), Options{Include: IncludeMail})
	require.NoError(t, err)
	assert.Equal(t, a.PayloadIdentifier, b.PayloadIdentifier)
	assert.Equal(t, a.PayloadUUID, b.PayloadUUID)

	sensitive := *def.CatchAll
	sensitive.Login.CaseSensitiveLocalPart = true
	addr := func(s string) autoconfig.Address {
		a, err := autoconfig.ParseAddress(s)
		require.NoError(t, err)
		return a
	}
	c, err := NewProfile(autoconfig.NewAccount(&sensitive, addr("Jane.Doe@example.ch"), ""), Options{Include: IncludeMail})
	require.NoError(t, err)
	d, err := NewProfile(autoconfig.NewAccount(&sensitive, addr("jane.doe@example.ch"), ""), Options{Include: IncludeMail})
	require.NoError(t, err)
	assert.NotEqual(t, c.PayloadUUID, d.PayloadUUID)
}
