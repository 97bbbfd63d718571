package autoconfig

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"

	"github.com/mailautoconf/mailautoconf/templates"
)

// PasswordKind is which password a provider's users give their mail apps.
type PasswordKind string

const (
	// PasswordsAccount: the account's own password.
	PasswordsAccount PasswordKind = "account"
	// PasswordsDevice: a password created for each device, revocable on its
	// own and shown only once, when it is created.
	PasswordsDevice PasswordKind = "device"
)

// Passwords is a provider's password policy.
type Passwords struct {
	Kind PasswordKind
	// CreateURL is where a device password is created ("" when unknown);
	// set only with PasswordsDevice.
	CreateURL string
	// Mint, when set, lets users sign in at the provider to have a device
	// password made and put in what they install (nil: the manual way only).
	Mint *Mint
}

// Device reports whether users create a password per device.
func (p Passwords) Device() bool { return p.Kind == PasswordsDevice }

// Support is how a provider's users get help; every field is optional.
type Support struct {
	URL   string
	Email string
	Phone string // as written in the file, e.g. "+41 22 820 35 44"
}

// Empty reports whether no contact is configured.
func (s Support) Empty() bool { return s.URL == "" && s.Email == "" && s.Phone == "" }

// TelURL is the tel: link of Phone: the digits and a leading +.
func (s Support) TelURL() string {
	var b strings.Builder
	b.WriteString("tel:")
	for i, r := range s.Phone {
		if r >= '0' && r <= '9' || r == '+' && i == 0 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TextLanguages are the languages a provider text may be written in: the
// wizard's catalogs' languages, English first (the fallback).
var TextLanguages = templates.LangCodes

// Text is a provider's own words in several languages: language → text.
type Text map[string]string

// In returns the text in lang, or in English when lang has none.
func (t Text) In(lang string) string {
	if s, ok := t[lang]; ok {
		return s
	}
	return t["en"]
}

// ProviderTexts are the provider's own words that the wizard shows beside
// its generic ones; each is empty when the file sets none.
type ProviderTexts struct {
	// POP3 says why the provider discourages POP3.
	POP3 Text
	// Passwords says where and how the provider's users manage passwords.
	Passwords Text
}

// App is a provider's own mail app, listed beside the standard clients.
type App struct {
	Name       string
	AppStore   string // Apple App Store URL, or ""
	GooglePlay string // Google Play URL, or ""
}

type rawPasswords struct {
	Kind      pos[string] `yaml:"kind"`
	CreateURL pos[string] `yaml:"create_url"`
	Mint      *rawMint    `yaml:"mint"`
}

type rawSupport struct {
	URL   pos[string] `yaml:"url"`
	Email pos[string] `yaml:"email"`
	Phone pos[string] `yaml:"phone"`
}

type rawTexts struct {
	POP3      map[string]pos[string] `yaml:"pop3"`
	Passwords map[string]pos[string] `yaml:"passwords"`
}

type rawApp struct {
	Name       pos[string] `yaml:"name"`
	AppStore   pos[string] `yaml:"app_store"`
	GooglePlay pos[string] `yaml:"google_play"`
}

// Limits of the provider's words: they are shown in pages, not documents.
const (
	maxTextLength    = 1000
	maxAppNameLength = 60
	maxPhoneLength   = 30
)

// support validates a support contact: a provider's or the site's.
func (v *validator) support(raw rawSupport, path string) Support {
	var s Support
	s.URL = v.url(raw.URL, path+".url")
	if email := strings.TrimSpace(raw.Email.Value); email != "" {
		if addr, err := ParseAddress(email); err != nil {
			v.add(raw.Email.Line, path+".email", "%v", err)
		} else {
			s.Email = addr.String()
		}
	}
	if phone := strings.TrimSpace(raw.Phone.Value); phone != "" {
		if msg := checkPhone(phone); msg != "" {
			v.add(raw.Phone.Line, path+".phone", "%s", msg)
		} else {
			s.Phone = phone
		}
	}
	return s
}

// policy validates the provider's passwords, support, texts and apps.
func (v *validator) policy(p *Provider, rp *rawProvider, path string) {
	switch kind := PasswordKind(strings.ToLower(strings.TrimSpace(rp.Passwords.Kind.Value))); kind {
	case "":
		// Unset: the account's password, the most common policy; saying
		// "device password" to such users would be wrong on every page.
		p.Passwords.Kind = PasswordsAccount
	case PasswordsAccount, PasswordsDevice:
		p.Passwords.Kind = kind
	default:
		v.add(rp.Passwords.Kind.Line, path+".passwords.kind", "must be device (a password per device) or account (the account's password)")
	}
	p.Passwords.CreateURL = v.url(rp.Passwords.CreateURL, path+".passwords.create_url")
	if p.Passwords.CreateURL != "" && p.Passwords.Kind != PasswordsDevice {
		v.add(rp.Passwords.CreateURL.Line, path+".passwords.create_url", "is where device passwords are created: set passwords.kind: device, or remove it")
	}
	p.Passwords.Mint = v.mint(rp.Passwords.Mint, p.Passwords.Kind, rp.Line, path+".passwords.mint")

	p.Support = v.support(rp.Support, path+".support")

	p.Texts.POP3 = v.text(rp.Texts.POP3, rp.Line, path+".texts.pop3")
	p.Texts.Passwords = v.text(rp.Texts.Passwords, rp.Line, path+".texts.passwords")

	for j, ra := range rp.Apps {
		f := fmt.Sprintf("%s.apps[%d]", path, j)
		app := App{
			Name:       strings.TrimSpace(ra.Name.Value),
			AppStore:   v.url(ra.AppStore, f+".app_store"),
			GooglePlay: v.url(ra.GooglePlay, f+".google_play"),
		}
		line := firstLine(ra.Name.Line, ra.AppStore.Line, ra.GooglePlay.Line, rp.Line)
		switch {
		case app.Name == "":
			v.add(line, f+".name", "is required")
		case len([]rune(app.Name)) > maxAppNameLength:
			v.add(line, f+".name", "must be at most %d characters", maxAppNameLength)
		case hasControl(app.Name):
			v.add(line, f+".name", "contains a control character")
		}
		if app.AppStore == "" && app.GooglePlay == "" {
			v.add(line, f, "needs app_store or google_play (a store link)")
		}
		p.Apps = append(p.Apps, app)
	}
}

// text validates a map of language → text: known languages only (a typo
// would silently fall back to English), English required as the fallback.
func (v *validator) text(raw map[string]pos[string], parentLine int, field string) Text {
	if len(raw) == 0 {
		return nil
	}
	t := Text{}
	line := parentLine
	for _, lang := range slices.Sorted(maps.Keys(raw)) {
		val := raw[lang]
		line = val.Line
		s := strings.TrimSpace(val.Value)
		switch {
		case !isTextLanguage(lang):
			v.add(val.Line, field+"."+lang, "unknown language: use %s", strings.Join(TextLanguages, ", "))
		case s == "":
			v.add(val.Line, field+"."+lang, "is empty")
		case len([]rune(s)) > maxTextLength:
			v.add(val.Line, field+"."+lang, "must be at most %d characters", maxTextLength)
		default:
			t[lang] = s
		}
	}
	if _, ok := raw["en"]; !ok {
		v.add(line, field+".en", "is required: English is shown where a language has no text")
	}
	return t
}

func isTextLanguage(lang string) bool {
	return slices.Contains(TextLanguages, lang)
}

// checkPhone accepts what people write in a phone number: digits, spaces,
// a leading +, and - . / ( ) as separators.
func checkPhone(s string) string {
	if len(s) > maxPhoneLength {
		return fmt.Sprintf("must be at most %d characters", maxPhoneLength)
	}
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0, r == ' ', strings.ContainsRune("-./()", r):
		default:
			return "must be a phone number: digits, spaces, a leading + and - . / ( )"
		}
	}
	if digits < 3 {
		return "must be a phone number: it has fewer than 3 digits"
	}
	return ""
}

func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return true
		}
	}
	return false
}

// firstLine is the first non-zero line: the best place to report a field
// that is missing.
func firstLine(lines ...int) int {
	for _, l := range lines {
		if l > 0 {
			return l
		}
	}
	return 0
}
