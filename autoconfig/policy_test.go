package autoconfig_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

func TestParse_PolicyAndSite(t *testing.T) {
	dir := t.TempDir()
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>`)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "logo.svg"), svg, 0o644))
	yaml := "site:\n  name: Example Mail setup\n  logo: logo.svg\n  accent_color: \"#0B5CAD\"\n" + minimal + `    passwords:
      kind: device
      create_url: https://manager.example.com/passwords
    support:
      url: https://help.example.com/
      email: Help@Example.com
      phone: "+41 22 000 00 00"
    texts:
      pop3:
        en: Backups keep only the server's copy.
        de: Sicherungen enthalten nur die Kopie auf dem Server.
    apps:
      - name: Example Mail
        app_store: https://apps.apple.com/app/id1
        google_play: https://play.google.com/store/apps/details?id=com.example.mail
`
	c, err := autoconfig.Parse(filepath.Join(dir, "config.yaml"), []byte(yaml))
	require.NoError(t, err)
	p := c.Providers[0]
	assert.Equal(t, autoconfig.Passwords{Kind: autoconfig.PasswordsDevice, CreateURL: "https://manager.example.com/passwords"}, p.Passwords)
	assert.True(t, p.Passwords.Device())
	assert.Equal(t, autoconfig.Support{URL: "https://help.example.com/", Email: "Help@example.com", Phone: "+41 22 000 00 00"}, p.Support)
	assert.Equal(t, "tel:+41220000000", p.Support.TelURL())
	assert.Equal(t, "Sicherungen enthalten nur die Kopie auf dem Server.", p.Texts.POP3.In("de"))
	assert.Equal(t, "Backups keep only the server's copy.", p.Texts.POP3.In("fr"), "English is the fallback")
	assert.Empty(t, p.Texts.Passwords.In("fr"), "an unset text is empty in every language")
	assert.Equal(t, []autoconfig.App{{Name: "Example Mail", AppStore: "https://apps.apple.com/app/id1",
		GooglePlay: "https://play.google.com/store/apps/details?id=com.example.mail"}}, p.Apps)
	assert.Equal(t, "Example Mail setup", c.Site.Name)
	assert.Equal(t, "#0b5cad", c.Site.AccentColor)
	require.NotNil(t, c.Site.Logo)
	assert.Equal(t, svg, c.Site.Logo.Data)
	assert.Equal(t, "image/svg+xml", c.Site.Logo.ContentType)
}

func TestParse_PasswordsDefaultToTheAccountPassword(t *testing.T) {
	c, err := autoconfig.Parse("f.yaml", []byte(minimal))
	require.NoError(t, err)
	assert.Equal(t, autoconfig.PasswordsAccount, c.Providers[0].Passwords.Kind)
	assert.True(t, c.Providers[0].Support.Empty())
	assert.Equal(t, autoconfig.Site{}, c.Site)
}

func TestDefault_CarriesTheSeedPolicyInEveryLanguage(t *testing.T) {
	p := autoconfig.Default().Providers[0]
	assert.True(t, p.Passwords.Device(), "the seed: passwords are created per device")
	assert.NotEmpty(t, p.Passwords.CreateURL)
	for _, lang := range autoconfig.TextLanguages {
		assert.Contains(t, p.Texts.POP3, lang)
		assert.Contains(t, p.Texts.Passwords, lang)
	}
}

func TestParse_PolicyAndSiteErrors(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "fake.png"), []byte("<svg/>"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "big.svg"), make([]byte, 256<<10+1), 0o644))
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"unknown password kind", minimal + "    passwords:\n      kind: app\n",
			[]string{"f.yaml:16: providers[0].passwords.kind: must be device (a password per device) or account (the account's password)"}},
		{"create_url without device passwords", minimal + "    passwords:\n      kind: account\n      create_url: https://example.com/\n",
			[]string{"f.yaml:17: providers[0].passwords.create_url: is where device passwords are created: set passwords.kind: device, or remove it"}},
		{"create_url not a URL", minimal + "    passwords:\n      kind: device\n      create_url: manager.example.com\n",
			[]string{"f.yaml:17: providers[0].passwords.create_url: must be an absolute http or https URL"}},
		{"unknown passwords key", minimal + "    passwords:\n      kind: device\n      url: https://example.com/\n",
			[]string{"f.yaml:17: providers[0].passwords.url: unknown field"}},
		{"support email", minimal + "    support:\n      email: help(at)example.com\n",
			[]string{"f.yaml:16: providers[0].support.email: invalid email address: it has no @"}},
		{"support phone", minimal + "    support:\n      phone: call us\n",
			[]string{"f.yaml:16: providers[0].support.phone: must be a phone number: digits, spaces, a leading + and - . / ( )"}},
		{"support url", minimal + "    support:\n      url: help.example.com\n",
			[]string{"f.yaml:16: providers[0].support.url: must be an absolute http or https URL"}},
		{"text without English", minimal + "    texts:\n      pop3:\n        de: Nein.\n",
			[]string{"f.yaml:17: providers[0].texts.pop3.en: is required: English is shown where a language has no text"}},
		{"text in an unknown language", minimal + "    texts:\n      pop3:\n        en: No.\n        es: No.\n",
			[]string{"f.yaml:18: providers[0].texts.pop3.es: unknown language: use en, fr, de, it"}},
		{"unknown text", minimal + "    texts:\n      imap:\n        en: Yes.\n",
			[]string{"f.yaml:16: providers[0].texts.imap: unknown field"}},
		{"app without store", minimal + "    apps:\n      - name: Example Mail\n",
			[]string{"f.yaml:16: providers[0].apps[0]: needs app_store or google_play (a store link)"}},
		{"app without name", minimal + "    apps:\n      - google_play: https://play.google.com/x\n",
			[]string{"f.yaml:16: providers[0].apps[0].name: is required"}},
		{"site name too long", "site:\n  name: " + string(make([]byte, 61)) + "\n" + minimal, nil},
		{"accent colour too light", "site:\n  accent_color: \"#66aaff\"\n" + minimal,
			[]string{"f.yaml:2: site.accent_color: #66aaff has a contrast of 2.4:1 on white; links and buttons need at least 4.5:1 (choose a darker colour)"}},
		{"accent colour not a colour", "site:\n  accent_color: blue\n" + minimal,
			[]string{"f.yaml:2: site.accent_color: must be a colour as #rrggbb or #rgb, e.g. #0b5cad"}},
		{"logo of another type", "site:\n  logo: logo.gif\n" + minimal,
			[]string{"f.yaml:2: site.logo: must be an .svg or .png file"}},
		{"logo missing", "site:\n  logo: missing.svg\n" + minimal,
			[]string{"f.yaml:2: site.logo: reading " + filepath.Join(dir, "missing.svg") + ": stat " + filepath.Join(dir, "missing.svg") + ": no such file or directory"}},
		{"logo content is not its type", "site:\n  logo: fake.png\n" + minimal,
			[]string{"f.yaml:2: site.logo: " + filepath.Join(dir, "fake.png") + " is not a png image"}},
		{"logo too large", "site:\n  logo: big.svg\n" + minimal,
			[]string{"f.yaml:2: site.logo: " + filepath.Join(dir, "big.svg") + " is larger than 256 KB"}},
		{"logo is a directory", "site:\n  logo: " + dir + "/d.svg\n" + minimal, nil},
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, "d.svg"), 0o755))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := autoconfig.Parse(filepath.Join(dir, "f.yaml"), []byte(tt.yaml))
			require.Error(t, err)
			var errs autoconfig.ConfigErrors
			require.ErrorAs(t, err, &errs)
			if tt.want == nil {
				require.Len(t, errs, 1)
				return
			}
			got := make([]string, len(errs))
			for i, e := range errs {
				// The file is named with its folder; the want lists show f.yaml.
				e.File = "f.yaml"
				got[i] = e.Error()
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestAccentColour_ContrastAndDarkerShade(t *testing.T) {
	for colour, ok := range map[string]bool{"#000": true, "#0b5cad": true, "#767676": true, "#777777": false, "#ffffff": false} {
		_, err := autoconfig.Parse("f.yaml", []byte("site: {accent_color: \""+colour+"\"}\n"+minimal))
		assert.Equal(t, ok, err == nil, "%s: %v", colour, err)
	}
	assert.Equal(t, "#084581", autoconfig.DarkerColor("#0b5cad"))
}
