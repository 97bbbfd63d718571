package profiles

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

const testBase = "https://autoconfig.example.net"

// unzipDeclarations reads a declarations zip into file name → bytes, in
// the zip's order.
func unzipDeclarations(t testing.TB, data []byte) ([]string, map[string][]byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	var names []string
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		body, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		names = append(names, f.Name)
		files[f.Name] = body
	}
	return names, files
}

var declarationCases = []struct {
	name    string
	config  string // "" is the embedded default
	address string
	person  string
	include Include
	files   []string
}{
	{name: "default", address: "jane.doe@example.ch", person: "Jane Doe", include: IncludeMail,
		files: []string{"asset.useridentity.json", "asset.credential.incoming.json", "configuration.account.mail.json"}},
	{name: "dav-all", config: "config/apple-dav.yaml", address: "jane@example.net",
		include: Include{Mail: true, Calendar: true, Contacts: true},
		files: []string{"asset.useridentity.json", "asset.credential.incoming.json",
			"configuration.account.mail.json", "configuration.account.caldav.json", "configuration.account.carddav.json"}},
	{name: "calendar-only", config: "config/apple-dav.yaml", address: "jane@example.net",
		include: Include{Calendar: true},
		files:   []string{"asset.credential.caldav.json", "configuration.account.caldav.json"}},
	// The POP3 provider logs in with the local part: one credential for
	// both servers, still.
	{name: "pop-only", config: "config/apple-dav.yaml", address: "jane@legacy.example.com", include: IncludeMail,
		files: []string{"asset.useridentity.json", "asset.credential.incoming.json", "configuration.account.mail.json"}},
}

func declarationAccount(t testing.TB, cfgName, address, person string) autoconfig.Account {
	t.Helper()
	cfg := autoconfig.Default()
	if cfgName != "" {
		cfg = exampleConfig(t)
	}
	acct := account(t, cfg, address)
	acct.DisplayName = person
	return acct
}

func TestDeclarations_ValidAgainstAppleSchema(t *testing.T) {
	schemas := loadDeclarationSchemas(t)
	for _, tc := range declarationCases {
		t.Run(tc.name, func(t *testing.T) {
			acct := declarationAccount(t, tc.config, tc.address, tc.person)
			data, err := DeclarationsZip(acct, Options{Include: tc.include}, testBase)
			require.NoError(t, err)
			names, files := unzipDeclarations(t, data)
			require.ElementsMatch(t, tc.files, names)

			types := map[string]string{} // identifier → type
			payloads := map[string]map[string]any{}
			for _, name := range names {
				violations, typ, ident := schemas.checkDeclaration(files[name])
				assert.Empty(t, violations, name)
				assert.NotContains(t, types, ident, "identifiers are distinct")
				types[ident] = typ
				var d struct{ Payload map[string]any }
				require.NoError(t, json.Unmarshal(files[name], &d))
				payloads[ident] = d.Payload
				testkit.Golden(t, "declarations/"+tc.name+"/"+name, files[name])
			}
			// Every asset a configuration names is in the set, of a type
			// the schema allows there.
			for ident, typ := range types {
				for ref, allowed := range schemas.assetReferences(typ, payloads[ident]) {
					require.Contains(t, types, ref, "%s refers to a missing asset", typ)
					assert.Contains(t, allowed, types[ref])
				}
			}
		})
	}
}

// The credential asset's reference is what the service serves: the data
// is valid credential data, and its size and digest match.
func TestDeclarations_CredentialReferenceMatchesServedData(t *testing.T) {
	schemas := loadDeclarationSchemas(t)
	cfg := exampleConfig(t)
	e := newTestEngine(t, cfg, nil)
	acct := account(t, cfg, "jane@legacy.example.com")
	decls, err := Declarations(acct, Options{Include: IncludeMail}, testBase)
	require.NoError(t, err)
	var assets int
	for _, d := range decls {
		asset, ok := d.Payload.(CredentialAsset)
		if !ok {
			continue
		}
		assets++
		ref := asset.Reference
		require.Regexp(t, `^https://`, ref.DataURL)
		u, err := url.Parse(ref.DataURL)
		require.NoError(t, err)
		w := do(e, http.MethodGet, u.RequestURI())
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Equal(t, CredentialContentType, w.Header().Get("Content-Type"))
		assert.Equal(t, "private, no-store", w.Header().Get("Cache-Control"))
		sum := sha256.Sum256(w.Body.Bytes())
		assert.Equal(t, ref.Size, w.Body.Len())
		assert.Equal(t, ref.SHA256, hex.EncodeToString(sum[:]))
		assert.Empty(t, schemas.checkCredential("com.apple.credential.usernameandpassword", w.Body.Bytes()))
		assert.JSONEq(t, `{"UserName":"jane"}`, w.Body.String())
	}
	assert.Equal(t, 1, assets, "POP3 and SMTP share the login jane: one credential")
}

func TestDeclarations_CredentialRequestRefusals(t *testing.T) {
	e := newTestEngine(t, exampleConfig(t), nil)
	for _, tc := range []struct {
		name  string
		query url.Values
		code  int
	}{
		{"no address", url.Values{"server": {"incoming"}}, http.StatusBadRequest},
		{"bad address", url.Values{"email": {"not-an-address"}, "server": {"incoming"}}, http.StatusBadRequest},
		{"no server", url.Values{"email": {"jane@example.net"}}, http.StatusBadRequest},
		{"unknown server", url.Values{"email": {"jane@example.net"}, "server": {"ldap"}}, http.StatusBadRequest},
		{"not offered", url.Values{"email": {"jane@legacy.example.com"}, "server": {"caldav"}}, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := do(e, http.MethodGet, profileURL(CredentialPath, tc.query))
			assert.Equal(t, tc.code, w.Code, w.Body.String())
		})
	}
}

// Identifiers are stable per account (MDMs replace a declaration with the
// same identifier) and distinct between accounts.
func TestDeclarations_StableIdentifiersPerAccount(t *testing.T) {
	ids := func(address string) []string {
		decls, err := Declarations(account(t, autoconfig.Default(), address), Options{Include: IncludeMail}, testBase)
		require.NoError(t, err)
		var out []string
		for _, d := range decls {
			out = append(out, d.Identifier)
		}
		return out
	}
	first := ids("jane@example.ch")
	assert.Equal(t, first, ids("jane@example.ch"))
	assert.Equal(t, first, ids("Jane@example.ch"), "one mailbox, one identity")
	for _, other := range ids("john@example.ch") {
		assert.NotContains(t, first, other)
	}
}

func TestDeclarations_ServerTokenFollowsContent(t *testing.T) {
	acct := account(t, autoconfig.Default(), "jane@example.ch")
	token := func(person string) string {
		acct.DisplayName = person
		decls, err := Declarations(acct, Options{Include: IncludeMail}, testBase)
		require.NoError(t, err)
		require.Equal(t, DeclarationUserIdentity, decls[0].Type)
		return decls[0].ServerToken
	}
	assert.Equal(t, token("Jane"), token("Jane"))
	assert.NotEqual(t, token("Jane"), token("Jane Doe"))
}

func TestDeclarations_NothingToInclude(t *testing.T) {
	acct := account(t, autoconfig.Default(), "jane@example.ch")
	_, err := Declarations(acct, Options{Include: Include{Calendar: true, Contacts: true}}, testBase)
	assert.ErrorIs(t, err, ErrNothingToInclude)
}

// The checker refuses what Apple's schema refuses: a test of the test.
func TestDeclarationChecker_RefusesInvalidDeclarations(t *testing.T) {
	schemas := loadDeclarationSchemas(t)
	valid := `{"Type":"com.apple.configuration.account.caldav","Identifier":"A","ServerToken":"1",
		"Payload":{"HostName":"dav.example.net","Port":443,"Path":"/","AuthenticationCredentialsAssetReference":"B"}}`
	violations, _, _ := schemas.checkDeclaration([]byte(valid))
	require.Empty(t, violations)
	for name, doc := range map[string]string{
		"port as string":  `{"Type":"com.apple.configuration.account.caldav","Identifier":"A","ServerToken":"1","Payload":{"HostName":"h","Port":"443"}}`,
		"port as real":    `{"Type":"com.apple.configuration.account.caldav","Identifier":"A","ServerToken":"1","Payload":{"HostName":"h","Port":443.0}}`,
		"unknown key":     `{"Type":"com.apple.configuration.account.caldav","Identifier":"A","ServerToken":"1","Payload":{"HostName":"h","UseSSL":true}}`,
		"missing host":    `{"Type":"com.apple.configuration.account.caldav","Identifier":"A","ServerToken":"1","Payload":{}}`,
		"no server token": `{"Type":"com.apple.configuration.account.caldav","Identifier":"A","Payload":{"HostName":"h"}}`,
		"unknown type":    `{"Type":"com.apple.configuration.account.exchange","Identifier":"A","ServerToken":"1","Payload":{}}`,
		"bad enum": `{"Type":"com.apple.configuration.account.mail","Identifier":"A","ServerToken":"1","Payload":{
			"IncomingServer":{"ServerType":"IMAPS","HostName":"h","AuthenticationMethod":"Password"},
			"OutgoingServer":{"HostName":"h","AuthenticationMethod":"Password"}}}`,
	} {
		violations, _, _ := schemas.checkDeclaration([]byte(doc))
		assert.NotEmpty(t, violations, name)
	}
}
