package profiles

import (
	"errors"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameLength bounds the display name (in characters): it becomes the
// sender name in Mail, and nobody's name is longer.
const MaxNameLength = 100

// maxIncludeLength bounds the include parameter: "mail,calendar,contacts"
// is 22 bytes.
const maxIncludeLength = 64

// Include says which payloads a profile holds.
type Include struct {
	Mail     bool
	Calendar bool // com.apple.caldav.account, when the provider has CalDAV
	Contacts bool // com.apple.carddav.account, when the provider has CardDAV
}

// IncludeMail is the default: the mail account only.
var IncludeMail = Include{Mail: true}

// Options are what a user chooses beyond the address.
type Options struct {
	// Name is the sender name (EmailAccountName); empty leaves it to the
	// user. Use ParseName on untrusted input.
	Name    string
	Include Include
	// Lang is the language of the profile's display texts (one of
	// templates.LangCodes); "" is English.
	Lang string
}

// RequestError is a rejected request parameter. Its message never contains
// the input, so it can be shown or logged anywhere.
type RequestError struct{ Reason string }

func (e *RequestError) Error() string { return e.Reason }

// HTTPStatus makes a rejected parameter a 400.
func (e *RequestError) HTTPStatus() int { return http.StatusBadRequest }

// IsRequestError reports whether err is a rejected request parameter.
func IsRequestError(err error) bool {
	var re *RequestError
	return errors.As(err, &re)
}

// ParseName validates a display name: trimmed, valid UTF-8, at most
// MaxNameLength characters, with no control or invisible formatting
// characters (which could hide or reorder what Settings shows) and no
// line break.
func ParseName(s string) (string, error) {
	if len(s) > MaxNameLength*utf8.UTFMax {
		return "", &RequestError{Reason: "the name is too long"}
	}
	if !utf8.ValidString(s) {
		return "", &RequestError{Reason: "the name is not valid UTF-8 text"}
	}
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > MaxNameLength {
		return "", &RequestError{Reason: "the name is too long"}
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return "", &RequestError{Reason: "the name contains a control or invisible formatting character"}
		}
		// U+2028 and U+2029 break lines too: a name is one line, and
		// Thunderbird for Android refuses an import code with a break.
		if unicode.In(r, unicode.Zl, unicode.Zp) {
			return "", &RequestError{Reason: "the name contains a line break"}
		}
	}
	return s, nil
}

// ParseInclude reads a comma-separated list of mail, calendar and contacts.
// An empty list means mail only.
func ParseInclude(s string) (Include, error) {
	if len(s) > maxIncludeLength {
		return Include{}, &RequestError{Reason: "the include list is too long"}
	}
	if strings.TrimSpace(s) == "" {
		return IncludeMail, nil
	}
	var inc Include
	for _, item := range strings.Split(s, ",") {
		switch strings.ToLower(strings.TrimSpace(item)) {
		case "mail":
			inc.Mail = true
		case "calendar":
			inc.Calendar = true
		case "contacts":
			inc.Contacts = true
		default:
			return Include{}, &RequestError{Reason: "include takes mail, calendar and contacts, separated by commas"}
		}
	}
	return inc, nil
}

// String is the canonical form of inc, as ParseInclude reads it.
func (inc Include) String() string {
	var parts []string
	if inc.Mail {
		parts = append(parts, "mail")
	}
	if inc.Calendar {
		parts = append(parts, "calendar")
	}
	if inc.Contacts {
		parts = append(parts, "contacts")
	}
	return strings.Join(parts, ",")
}
