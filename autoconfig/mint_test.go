package autoconfig_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

func mintConfig(kind, mint string) string {
	return minimal + "    passwords:\n      kind: " + kind + "\n      mint:\n" + mint
}

func TestParse_Mint(t *testing.T) {
	c, err := autoconfig.Parse("c.yaml", []byte(mintConfig("device", `        issuer: https://login.example.com
        client_id: mailautoconf
        client_secret_file: /run/secrets/oidc
        api: https://api.example.com/device-passwords
`)))
	require.NoError(t, err)
	assert.Equal(t, &autoconfig.Mint{
		Issuer: "https://login.example.com", ClientID: "mailautoconf", ClientSecretFile: "/run/secrets/oidc",
		Scopes: []string{"openid", "email"}, API: "https://api.example.com/device-passwords", Claim: "email",
	}, c.Providers[0].Passwords.Mint)

	c, err = autoconfig.Parse("c.yaml", []byte(mintConfig("device", `        issuer: http://127.0.0.1:8080
        client_id: m
        scopes: [openid, email, mail.passwords]
        claim: preferred_username
        api: http://localhost:9000/p
`)))
	require.NoError(t, err, "http is accepted on loopback")
	m := c.Providers[0].Passwords.Mint
	assert.Equal(t, []string{"openid", "email", "mail.passwords"}, m.Scopes)
	assert.Equal(t, "preferred_username", m.Claim)
}

func TestParse_MintRefusals(t *testing.T) {
	tests := []struct {
		name, kind, mint, want string
	}{
		{"http issuer off loopback", "device", "        issuer: http://login.example.com\n        client_id: m\n        api: https://a.example.com/\n",
			"passwords.mint.issuer: must be an https URL (http only to a loopback address)"},
		{"http api off loopback", "device", "        issuer: https://login.example.com\n        client_id: m\n        api: http://10.0.0.1/\n",
			"passwords.mint.api: must be an https URL"},
		{"no client id", "device", "        issuer: https://login.example.com\n        api: https://a.example.com/\n",
			"passwords.mint.client_id: is required"},
		{"no api", "device", "        issuer: https://login.example.com\n        client_id: m\n",
			"passwords.mint.api: is required"},
		{"scopes without openid", "device", "        issuer: https://login.example.com\n        client_id: m\n        scopes: [email]\n        api: https://a.example.com/\n",
			"must include openid"},
		{"relative secret file", "device", "        issuer: https://login.example.com\n        client_id: m\n        client_secret_file: oidc\n        api: https://a.example.com/\n",
			"client_secret_file: must be an absolute path"},
		{"account passwords", "account", "        issuer: https://login.example.com\n        client_id: m\n        api: https://a.example.com/\n",
			"passwords.mint: makes device passwords: set passwords.kind: device"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := autoconfig.Parse("c.yaml", []byte(mintConfig(tt.kind, tt.mint)))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestProvider_SameMailbox(t *testing.T) {
	p := &autoconfig.Provider{}
	addr := func(s string) autoconfig.Address {
		a, err := autoconfig.ParseAddress(s)
		require.NoError(t, err)
		return a
	}
	assert.True(t, p.SameMailbox(addr("Jane.Doe@Example.com"), addr("jane.doe@example.com")))
	assert.True(t, p.SameMailbox(addr("jane@bücher.ch"), addr("jane@xn--bcher-kva.ch")), "an IDN in either form")
	assert.False(t, p.SameMailbox(addr("jane@example.com"), addr("john@example.com")))
	assert.False(t, p.SameMailbox(addr("jane@example.com"), addr("jane@example.org")))
	p.Login.CaseSensitiveLocalPart = true
	assert.False(t, p.SameMailbox(addr("Jane@example.com"), addr("jane@example.com")))
}
