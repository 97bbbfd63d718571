package wizard

import (
	"net/url"
	"strings"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/profiles"
)

// links builds the wizard's URLs for one address, name and language. Paths
// are relative to the service; absolute() prefixes them with the base URL.
type links struct {
	base  string // "" for relative links, else Service.BaseURL
	lang  string
	email string // validated address, as Address.String()
	name  string // optional display name for the Apple profile
}

func (l links) query() url.Values {
	q := url.Values{}
	if l.email != "" {
		q.Set("email", l.email)
	}
	if l.name != "" {
		q.Set("name", l.name)
	}
	if l.lang != "" {
		q.Set("lang", l.lang)
	}
	return q
}

func (l links) url(path string, q url.Values) string {
	if enc := q.Encode(); enc != "" {
		return l.base + path + "?" + enc
	}
	return l.base + path
}

// Home is the start page, with the address filled in.
func (l links) Home() string { return l.url("/", l.query()) }

// Choose is the device and client list.
func (l links) Choose() string { return l.url("/setup", l.query()) }

// Client is the steps page of a client.
func (l links) Client(id string) string { return l.url("/setup/"+id, l.query()) }

// Sheet is the printable settings sheet.
func (l links) Sheet() string { return l.url("/sheet", l.query()) }

// QR is the QR code image of a client's page.
func (l links) QR(id string) string {
	q := l.query()
	q.Set("client", id)
	return l.url("/qr.png", q)
}

// ProfileWith is the Apple profile download with the payloads of include
// (profiles.ParseInclude's list, e.g. "mail,calendar,contacts").
func (l links) ProfileWith(include string) string {
	q := url.Values{"email": {l.email}, "include": {include}}
	if l.name != "" {
		q.Set("name", l.name)
	}
	if l.lang != "" {
		q.Set("lang", l.lang)
	}
	return l.url(profiles.DownloadPath, q)
}

// Profile is the Apple profile download, with the page's language for the
// profile's texts (without one, the device's Accept-Language decides).
func (l links) Profile() string {
	q := url.Values{"email": {l.email}}
	if l.name != "" {
		q.Set("name", l.name)
	}
	if l.lang != "" {
		q.Set("lang", l.lang)
	}
	return l.url(profiles.DownloadPath, q)
}

// ThunderbirdQR is the Thunderbird for Android import code of the address.
// It has no language (only its errors would use one): one image per
// address and name, cached once.
func (l links) ThunderbirdQR() string {
	q := url.Values{"email": {l.email}}
	if l.name != "" {
		q.Set("name", l.name)
	}
	return l.url(ThunderbirdQRPath, q)
}

// shortPath starts the short links: /s/CLIENT/ADDRESS.
const shortPath = "/s/"

// Short is a link short enough to type on a phone, which redirects to
// Target: the address in the path (PathEscape keeps the @), no language
// (the phone's own decides), the name only when there is one.
func (l links) Short(id string) string {
	l.lang = ""
	return l.ShortIn(id)
}

// ShortIn is the short link with the language, for the helpdesk to send
// in the customer's language (none: the phone's own).
func (l links) ShortIn(id string) string {
	q := url.Values{}
	if l.name != "" {
		q.Set("name", l.name)
	}
	if l.lang != "" {
		q.Set("lang", l.lang)
	}
	return l.url(shortPath+id+"/"+url.PathEscape(l.email), q)
}

// Target is what a client's QR code opens: for Apple devices the profile
// itself (the camera hands it to Safari, which offers to install it), with
// everything the Apple page's calendars-and-contacts button installs
// (FullProfile); the steps page for the others.
func (l links) Target(c App, acct autoconfig.Account) string {
	if c.Profile() {
		return l.FullProfile(acct)
	}
	return l.Client(c.ID)
}

// FullProfile is the Apple profile with every service of acct: mail, and
// calendars and contacts where the provider has them. Without either it is
// the mail profile (Profile).
func (l links) FullProfile(acct autoconfig.Account) string {
	inc := fullInclude(acct)
	if inc == profiles.IncludeMail {
		return l.Profile()
	}
	return l.ProfileWith(inc.String())
}

// fullInclude is every service of acct an Apple profile can carry.
func fullInclude(acct autoconfig.Account) profiles.Include {
	return profiles.Include{Mail: true, Calendar: acct.CalDAV.Offered(), Contacts: acct.CardDAV.Offered()}
}

// displayLink is a link as people read and type it: without "https://"
// (browsers add it), the host in Unicode by the display rule
// (autoconfig.UnicodeDomain), the path without percent-encoding
// (b%C3%BCcher.ch → bücher.ch), and no lone trailing "/". "http://" stays:
// a browser would try https first and fail on a plain-HTTP test server.
// A mailto: link is its address. A link it cannot read is returned as is.
func displayLink(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		return link
	}
	switch u.Scheme {
	case "mailto":
		return u.Opaque
	case "http", "https":
	default:
		return link
	}
	host := autoconfig.UnicodeDomain(u.Hostname())
	if p := u.Port(); p != "" {
		host += ":" + p
	}
	s := host + strings.TrimSuffix(u.Path, "/")
	if u.Path != "/" && strings.HasSuffix(u.Path, "/") {
		s += "/"
	}
	if u.RawQuery != "" {
		s += "?" + u.RawQuery
	}
	if u.Scheme == "http" {
		s = "http://" + s
	}
	return s
}
