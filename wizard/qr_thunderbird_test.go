package wizard

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/tbimport"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// The PNG decodes to exactly the payload tbimport writes for the resolved
// account (the payload itself is read back field by field in tbimport's
// tests, with a reader written from the format's description).
func TestThunderbirdQR_DecodesToTheAccountsPayload(t *testing.T) {
	e := newTestEngine(t)
	rec := get(t, e, ThunderbirdQRPath+"?"+q("email", "Jane.Doe@example.com", "name", `Jane "JD" Doe`))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, "image/png", rec.Header().Get("Content-Type"))
	text, _ := decodeQR(t, rec.Body.Bytes())

	cfg := testkit.ParseConfig(t, testConfig)
	acct := autoconfig.NewAccount(testkit.Provider(t, cfg, "example.com"), testkit.Address(t, "jane.doe@example.com"), `Jane "JD" Doe`)
	want, err := tbimport.Payload(acct)
	require.NoError(t, err)
	assert.Equal(t, string(want), text)
	assert.Contains(t, text, `[0,"imap.example.net",993,3,1,"jane.doe@example.com"]`)
	assert.Contains(t, text, `[0,"smtp.example.net",587,2,1,"jane.doe@example.com"]`)
	assert.NotContains(t, strings.ToLower(text), "password")
}

func TestThunderbirdQR_HostileInput(t *testing.T) {
	e := newTestEngine(t)
	tests := []struct {
		name   string
		query  string
		status int
	}{
		{"no address", q("name", "Jane"), http.StatusBadRequest},
		{"invalid address", q("email", "<script>@example.com"), http.StatusBadRequest},
		{"unserved domain", q("email", "jane@unserved.test"), http.StatusNotFound},
		{"line break in the name", q("email", "jane@example.com", "name", "Jane\r\nDoe"), http.StatusBadRequest},
		{"line separator in the name", q("email", "jane@example.com", "name", "Jane\u2028Doe"), http.StatusBadRequest},
		{"very long name", q("email", "jane@example.com", "name", strings.Repeat("J", 5000)), http.StatusBadRequest},
		{"non-ASCII local part", q("email", "jürg@example.com"), http.StatusUnprocessableEntity},
		{"quoted local part", q("email", `"jane.doe"@example.com`), http.StatusUnprocessableEntity},
		{"size out of range", q("email", "jane@example.com", "size", "99999"), http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := get(t, e, ThunderbirdQRPath+"?"+tt.query)
			assert.Equal(t, tt.status, rec.Code, rec.Body.String())
			assert.NotEqual(t, "image/png", rec.Header().Get("Content-Type"), "never a code the app would refuse")
			assert.NotContains(t, rec.Body.String(), "<script>")
		})
	}
}
