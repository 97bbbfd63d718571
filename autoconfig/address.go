package autoconfig

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Limits from RFC 5321 §4.5.3.1 (octets, as sent on the wire).
const (
	maxLocalPart = 64
	maxDomain    = 253
	maxAddress   = 254
	maxLabel     = 63
)

// Address is a validated email address.
//
// The local part is kept exactly as given: servers may treat it as case
// sensitive, and users expect to see what they typed. The domain is
// lower-cased and kept in two forms: ASCII (punycode) for host names, ids and
// lookups, because Thunderbird's reader rejects U-labels; Unicode for display.
type Address struct {
	Local         string
	Domain        string // ASCII (A-label) form, lower case
	UnicodeDomain string // display form, lower case
}

// String is the address as the user knows it: local part as typed, domain in
// its Unicode display form.
func (a Address) String() string { return a.Local + "@" + a.UnicodeDomain }

// ASCII is the address with the domain in punycode.
func (a Address) ASCII() string { return a.Local + "@" + a.Domain }

// AddressError says why an address was rejected. Its message never contains
// the input, so it can be shown or logged anywhere.
type AddressError struct{ Reason string }

func (e *AddressError) Error() string { return "invalid email address: " + e.Reason }

func addressErr(format string, args ...any) error {
	return &AddressError{Reason: fmt.Sprintf(format, args...)}
}

// IsAddressError reports whether err is a rejection of the address itself.
func IsAddressError(err error) bool {
	var ae *AddressError
	return errors.As(err, &ae)
}

// lookupProfile converts domains as a resolver would (UTS #46 mapping, which
// also lower-cases, plus the bidi and label rules) and refuses anything that
// is not a valid host name.
var lookupProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.ValidateLabels(true),
	idna.StrictDomainName(true),
	idna.Transitional(false),
)

// ParseAddress validates s as an email address for account set-up.
//
// It is stricter than RFC 5322 where strictness helps users: no display
// names, comments or spaces (a space is nearly always a typing mistake), and
// no IP-literal domains (no provider serves mail for those).
//
// Whitespace around the address is dropped first, the one rule for every
// route: phone keyboards add a space after an address, copying adds more,
// and some clients send the field as typed.
func ParseAddress(s string) (Address, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Address{}, addressErr("it is empty")
	}
	// Checked first so that nothing below ever works on huge input.
	if len(s) > maxAddress*4 {
		return Address{}, addressErr("it is longer than %d characters", maxAddress)
	}
	if !utf8.ValidString(s) {
		return Address{}, addressErr("it is not valid UTF-8 text")
	}
	if err := checkCharacters(s); err != nil {
		return Address{}, err
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return Address{}, addressErr("it has no @")
	}
	local, domain := s[:at], s[at+1:]
	if strings.Count(s, "@") > 1 && !isQuoted(local) {
		return Address{}, addressErr("it has more than one @")
	}
	if err := checkLocalPart(local); err != nil {
		return Address{}, err
	}
	ascii, unicodeDomain, err := normalizeDomain(domain)
	if err != nil {
		return Address{}, err
	}
	if len(local)+1+len(ascii) > maxAddress {
		return Address{}, addressErr("it is longer than %d characters", maxAddress)
	}
	return Address{Local: local, Domain: ascii, UnicodeDomain: unicodeDomain}, nil
}

func isQuoted(local string) bool {
	return len(local) >= 2 && local[0] == '"' && local[len(local)-1] == '"'
}

// checkLocalPart accepts a dot-atom (RFC 5322 atext, plus UTF-8 per RFC 6531)
// or a quoted string.
func checkLocalPart(local string) error {
	switch {
	case local == "":
		return addressErr("the part before @ is empty")
	case len(local) > maxLocalPart:
		return addressErr("the part before @ is longer than %d characters", maxLocalPart)
	case isQuoted(local):
		return checkQuotedLocal(local[1 : len(local)-1])
	case local[0] == '.' || local[len(local)-1] == '.':
		return addressErr("the part before @ starts or ends with a dot")
	case strings.Contains(local, ".."):
		return addressErr("the part before @ has two dots in a row")
	}
	for _, r := range local {
		if r != '.' && !isAtext(r) {
			return addressErr("the part before @ contains a character that is only allowed in quotes")
		}
	}
	return nil
}

func checkQuotedLocal(inner string) error {
	for i := 0; i < len(inner); i++ {
		switch inner[i] {
		case '\\':
			if i+1 == len(inner) {
				return addressErr("the quoted part before @ ends with a backslash")
			}
			i++
		case '"':
			return addressErr("the part before @ has an unescaped quote")
		}
	}
	return nil
}

func isAtext(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	case r >= utf8.RuneSelf:
		return unicode.IsPrint(r)
	}
	return strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
}

// NormalizeDomain validates a domain name and returns its ASCII (punycode)
// form, lower case, without a trailing dot.
func NormalizeDomain(domain string) (string, error) {
	ascii, _, err := normalizeDomain(domain)
	return ascii, err
}

// checkCharacters refuses spaces and control or invisible formatting
// characters anywhere in s, which is valid UTF-8.
func checkCharacters(s string) error {
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			// ASCII, nearly every address: no Unicode table lookups.
			switch {
			case b == ' ', b >= '\t' && b <= '\r':
				return addressErr("it contains a space")
			case b < 0x20, b == 0x7f:
				return addressErr("it contains a control or invisible formatting character")
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			return addressErr("it contains a space")
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return addressErr("it contains a control or invisible formatting character")
		}
		i += size
	}
	return nil
}

func normalizeDomain(domain string) (ascii, display string, err error) {
	domain = strings.TrimSuffix(domain, ".")
	switch {
	case domain == "":
		return "", "", addressErr("the domain after @ is empty")
	case strings.HasPrefix(domain, "["):
		return "", "", addressErr("an IP address is not accepted as the domain")
	case len(domain) > maxDomain*4:
		return "", "", addressErr("the domain is longer than %d characters", maxDomain)
	}
	if ldh, ok := asciiLDH(domain); ok {
		// Nearly every domain is plain ASCII letters, digits and hyphens:
		// for those the UTS #46 mapping is only lower-casing.
		ascii = ldh
	} else if ascii, err = lookupProfile.ToASCII(domain); err != nil {
		return "", "", addressErr("the domain is not a valid domain name")
	}
	if len(ascii) > maxDomain {
		return "", "", addressErr("the domain is longer than %d characters", maxDomain)
	}
	if !strings.Contains(ascii, ".") {
		return "", "", addressErr("the domain needs at least one dot, as in example.com")
	}
	var last string
	for rest, more := ascii, true; more; {
		var l string
		l, rest, more = strings.Cut(rest, ".")
		// ToASCII lets a leading dot through (".0"); found by FuzzEngineQuery.
		if l == "" {
			return "", "", addressErr("the domain has an empty part between dots")
		}
		if len(l) > maxLabel {
			return "", "", addressErr("a part of the domain is longer than %d characters", maxLabel)
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return "", "", addressErr("a part of the domain starts or ends with a hyphen")
		}
		last = l
	}
	if isAllDigits(last) {
		return "", "", addressErr("an IP address is not accepted as the domain")
	}
	return ascii, UnicodeDomain(ascii), nil
}

// UnicodeDomain is the display form of a valid ASCII domain: its punycode
// labels in Unicode, except a label a person could take for another one,
// which is shown in ASCII (see displayable). It is the one conversion for
// everything a person reads: wizard, sheets, profile texts, Autodiscover
// display fields.
func UnicodeDomain(ascii string) string {
	u := unicodeForm(ascii)
	if u == ascii {
		return ascii
	}
	labels, asciiLabels := strings.Split(u, "."), strings.Split(ascii, ".")
	if len(labels) != len(asciiLabels) {
		return ascii
	}
	tld := labels[len(labels)-1]
	for i, l := range labels {
		if l != asciiLabels[i] && !displayable(l, tld) {
			labels[i] = asciiLabels[i]
		}
	}
	return strings.Join(labels, ".")
}

// unicodeForm is a valid ASCII domain with every punycode label in
// Unicode, whatever it looks like: the form a server that reads UTF-8
// logins expects, not one that is safe to show.
func unicodeForm(ascii string) string {
	if !strings.Contains(ascii, "xn--") {
		return ascii
	}
	u, err := idna.Display.ToUnicode(ascii)
	if err != nil {
		return ascii
	}
	return u
}

// asciiLDH lower-cases domain if it is made only of ASCII letters, digits,
// hyphens and dots, with no label that starts or ends with a hyphen and no
// punycode label (those need idna's checks).
func asciiLDH(domain string) (string, bool) {
	labelStart := true
	for i := 0; i < len(domain); i++ {
		ch := domain[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= '0' && ch <= '9', ch >= 'A' && ch <= 'Z':
			labelStart = false
		case ch == '-':
			if labelStart || i+1 == len(domain) || domain[i+1] == '.' {
				return "", false
			}
		case ch == '.':
			if labelStart {
				return "", false
			}
			labelStart = true
		default:
			return "", false
		}
	}
	if labelStart || strings.Contains(domain, "--") {
		// Empty last label, or a possible xn-- (or other reserved "??--")
		// label: leave those to idna.
		return "", false
	}
	return strings.ToLower(domain), true
}

func isAllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
