package main

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// With Unicode logins, Thunderbird's document gives every server one login
// form: %EMAILADDRESS%, which Thunderbird fills with the ASCII address it
// requires, is written out with the Unicode domain, as the server that
// names %EMAILDOMAIN% is.
func TestEngine_ThunderbirdUnicodeLoginsHaveOneForm(t *testing.T) {
	e := engineOnConfig(t, "crossformat/unicode-logins.yaml")
	for _, target := range []string{
		"/mail/config-v1.1.xml?emailaddress=jane@xn--bcher-kva.example",
		"/mail/config-v1.1.xml?emailaddress=jane@b%C3%BCcher.example",
	} {
		w := testkit.Get(e, target)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		logins := regexp.MustCompile(`<username>([^<]*)</username>`).FindAllStringSubmatch(w.Body.String(), -1)
		require.Len(t, logins, 3, "IMAP and two SMTP servers")
		for _, m := range logins {
			assert.Equal(t, "%EMAILLOCALPART%@bücher.example", m[1], target)
		}
	}
}
