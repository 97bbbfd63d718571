package profiles

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
)

func TestParseName(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  string
	}{
		{"", "", ""},
		{"Jane Doe", "Jane Doe", ""},
		{"  Jane Doe  ", "Jane Doe", ""},
		{"Zoë Ångström 山田", "Zoë Ångström 山田", ""},
		{`R&D <"Team">`, `R&D <"Team">`, ""},
		{strings.Repeat("é", MaxNameLength), strings.Repeat("é", MaxNameLength), ""},
		{strings.Repeat("a", MaxNameLength+1), "", "the name is too long"},
		{strings.Repeat("a", 10000), "", "the name is too long"},
		{"Jane\nDoe", "", "control"},
		{"Jane\x00", "", "control"},
		{"Jane\u202eeoD", "", "invisible"}, // right-to-left override
		{"Jane\u200b", "", "invisible"},    // zero-width space
		{"\xff\xfe", "", "UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseName(tc.in)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				assert.True(t, IsRequestError(err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseInclude(t *testing.T) {
	tests := []struct {
		in      string
		want    Include
		wantErr bool
	}{
		{"", IncludeMail, false},
		{"mail", IncludeMail, false},
		{"mail,calendar,contacts", allServices, false},
		{"Contacts, Calendar", Include{Calendar: true, Contacts: true}, false},
		{"calendar", Include{Calendar: true}, false},
		{"mail,mail", IncludeMail, false},
		{"notes", Include{}, true},
		{"mail,", Include{}, true},
		{"mail;calendar", Include{}, true},
		{strings.Repeat("mail,", 20), Include{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseInclude(tc.in)
			if tc.wantErr {
				require.Error(t, err)
				assert.True(t, IsRequestError(err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestInclude_StringRoundTrips(t *testing.T) {
	for _, inc := range []Include{IncludeMail, allServices, {Calendar: true}, {Mail: true, Contacts: true}} {
		got, err := ParseInclude(inc.String())
		require.NoError(t, err)
		assert.Equal(t, inc, got)
	}
}

// Bad input is rejected with a reason that never repeats the input.
func TestParseRequest_BadInput(t *testing.T) {
	const secret = "<script>x</script>"
	tests := []struct {
		name  string
		query url.Values
		want  string
	}{
		{"no email", url.Values{}, "the email parameter is required"},
		{"empty email", url.Values{"email": {""}}, "the email parameter is required"},
		{"not an address", url.Values{"email": {"jane" + secret}}, "invalid email address"},
		{"two @", url.Values{"email": {"a@b@example.ch"}}, "invalid email address"},
		{"IP domain", url.Values{"email": {"a@[127.0.0.1]"}}, "invalid email address"},
		{"huge address", url.Values{"email": {strings.Repeat("a", 5000) + "@example.ch"}}, "invalid email address"},
		{"control character in name", url.Values{"email": {"a@example.ch"}, "name": {"Jane\r\nX-Evil: " + secret}}, "control"},
		{"over-long name", url.Values{"email": {"a@example.ch"}, "name": {strings.Repeat(secret, 20)}}, "too long"},
		{"unknown include", url.Values{"email": {"a@example.ch"}, "include": {secret}}, "include takes"},
		{"unknown include among repeated", url.Values{"email": {"a@example.ch"}, "include": {"mail", "passwords"}}, "include takes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRequest(tc.query.Encode())
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "script")
			assert.NotContains(t, err.Error(), "\n")
			assert.Equal(t, 400, httpkit.Status(err))
		})
	}
}

func TestParseRequest_Good(t *testing.T) {
	req, err := ParseRequest(url.Values{
		"email":   {"Jane.Doe@Bücher.Example"},
		"name":    {" Jane Doe "},
		"include": {"mail", "calendar"},
	}.Encode())
	require.NoError(t, err)
	assert.Equal(t, autoconfig.Address{Local: "Jane.Doe", Domain: "xn--bcher-kva.example", UnicodeDomain: "bücher.example"}, req.Address)
	assert.Equal(t, Options{Name: "Jane Doe", Include: Include{Mail: true, Calendar: true}}, req.Options)
	assert.Equal(t, "xn--bcher-kva.example-mail.mobileconfig", FileName(req.Address))
}
