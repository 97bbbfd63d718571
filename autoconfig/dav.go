package autoconfig

import (
	"errors"
	"net/url"
	"strconv"
)

// DAVEndpoint is a CalDAV or CardDAV URL split into what clients set up:
// Apple profiles want the host, the port and TLS apart from the URL.
type DAVEndpoint struct {
	Host string // ASCII
	Port int
	TLS  bool
	URL  string
	// Path is the URL's path, "/" when it has none: the context path that
	// RFC 6764 §4 publishes in TXT "path=".
	Path string
	// Username is the login name, as in Server: every client that sets up
	// DAV (Apple profiles, PACC, eM Client) logs in with the full address.
	Username string
}

// Offered reports whether the provider has this DAV service.
func (e DAVEndpoint) Offered() bool { return e.URL != "" }

// ParseDAVURL validates a CalDAV or CardDAV URL. The configuration is
// checked with it at load, so renderers never meet an invalid one.
func ParseDAVURL(raw string) (DAVEndpoint, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return DAVEndpoint{}, errors.New("not an absolute http or https URL")
	}
	host, err := NormalizeHost(u.Hostname())
	if err != nil {
		return DAVEndpoint{}, err
	}
	ep := DAVEndpoint{Host: host, TLS: u.Scheme == "https", URL: u.String(), Path: u.EscapedPath()}
	if ep.Path == "" {
		ep.Path = "/"
	}
	switch {
	case u.Port() != "":
		if ep.Port, err = strconv.Atoi(u.Port()); err != nil || ep.Port < 1 || ep.Port > 65535 {
			return DAVEndpoint{}, errors.New("the port is not a number between 1 and 65535")
		}
	case ep.TLS:
		ep.Port = 443
	default:
		ep.Port = 80
	}
	return ep, nil
}
