package autoconfig

import (
	"errors"
	"net"
	"strings"
)

// ErrNoDomain means a request named no address and its Host header names no
// mail domain (an IP address or a single-label name such as localhost).
var ErrNoDomain = errors.New("no email address given, and the host name of the request is not a mail domain")

// The service host names clients look up for a mail domain: a request to
// autoconfig.example.com is a request for example.com.
const (
	// AutoconfigPrefix: Thunderbird, K-9 Mail, Evolution, KMail
	// (wiki.mozilla.org/Thunderbird:Autoconfiguration).
	AutoconfigPrefix = "autoconfig."
	// AutodiscoverPrefix: Outlook ([MS-OXDISCO] 3.1.5).
	AutodiscoverPrefix = "autodiscover."
	// PACCPrefix: the PACC draft (draft-ietf-mailmaint-pacc).
	PACCPrefix = "ua-auto-config."
)

// serviceHostPrefixes are all of them, for the loops that need each.
var serviceHostPrefixes = [...]string{AutoconfigPrefix, AutodiscoverPrefix, PACCPrefix}

// ServiceHostPrefixes returns every service host-name prefix: the names
// a certificate must cover and DNS must point at the service.
func ServiceHostPrefixes() []string { return serviceHostPrefixes[:] }

// DomainFromHost derives the mail domain from a Host header, for clients
// that send no address (Thunderbird for Android, K-9 Mail).
func DomainFromHost(host string) (string, error) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, prefix := range serviceHostPrefixes {
		if rest, ok := strings.CutPrefix(host, prefix); ok {
			host = rest
			break
		}
	}
	if net.ParseIP(host) != nil {
		return "", ErrNoDomain
	}
	domain, err := NormalizeDomain(host)
	if err != nil {
		return "", ErrNoDomain
	}
	return domain, nil
}
