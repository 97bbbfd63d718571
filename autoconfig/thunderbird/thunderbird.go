// Package thunderbird renders and serves the Thunderbird autoconfig document
// (config-v1.1.xml), which Thunderbird, Thunderbird for Android, K-9 Mail,
// Evolution, KMail, Delta Chat and FairEmail read.
package thunderbird

import (
	"strconv"

	"github.com/beevik/etree"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// MaxListedDomains bounds the <domain> elements of a document. Thunderbird
// uses them only to match the address it asked for, which is always listed
// first; a provider with 100,000 domains must not send them all on every
// request.
const MaxListedDomains = 50

// Render renders the autoconfig document (clientConfig version 1.1) of a
// resolved domain.
//
// Login names keep the %EMAILADDRESS% and %EMAILLOCALPART% placeholders that
// the client substitutes (%EMAILDOMAIN% is already expanded), so the
// document depends only on the domain and can be cached.
// Reference: wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat
// and comm-central readFromXML.sys.mjs.
func Render(d autoconfig.Domain) []byte {
	p := d.Provider
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	root := doc.CreateElement("clientConfig")
	root.CreateAttr("version", "1.1")

	ep := root.CreateElement("emailProvider")
	ep.CreateAttr("id", p.ID)
	for _, name := range listedDomains(p, d.Name) {
		ep.CreateElement("domain").SetText(name)
	}
	ep.CreateElement("displayName").SetText(p.DisplayName)
	ep.CreateElement("displayShortName").SetText(p.ShortName)

	// Thunderbird makes the first valid server of each type the default and
	// offers the others: the resolved order is kept as is.
	for _, s := range d.Incoming {
		server(ep.CreateElement("incomingServer"), s)
	}
	for _, s := range d.Outgoing {
		server(ep.CreateElement("outgoingServer"), s)
	}
	if p.HelpURL != "" {
		docEl := ep.CreateElement("documentation")
		docEl.CreateAttr("url", p.HelpURL)
		docEl.CreateElement("descr").CreateAttr("lang", "en").Element().SetText("Mail setup help from " + p.DisplayName)
	}
	if p.WebmailURL != "" {
		// The ISPDB places webMail directly under clientConfig.
		root.CreateElement("webMail").CreateElement("loginPage").CreateAttr("url", p.WebmailURL)
	}

	doc.Indent(2)
	out, err := doc.WriteToBytes()
	if err != nil {
		// etree writes to a bytes.Buffer, which cannot fail.
		panic("rendering thunderbird config: " + err.Error())
	}
	return out
}

// listedDomains puts the requested domain first, then the provider's other
// exact domains, up to MaxListedDomains.
func listedDomains(p *autoconfig.Provider, domain string) []string {
	out := []string{domain}
	for _, d := range p.Domains {
		if len(out) == MaxListedDomains {
			break
		}
		if d != domain && d[0] != '*' {
			out = append(out, d)
		}
	}
	return out
}

func server(el *etree.Element, s autoconfig.Server) {
	el.CreateAttr("type", string(s.Protocol))
	el.CreateElement("hostname").SetText(s.Host)
	el.CreateElement("port").SetText(strconv.Itoa(s.Port))
	el.CreateElement("socketType").SetText(SocketType(s.Security))
	el.CreateElement("authentication").SetText(Authentication(s.Auth))
	el.CreateElement("username").SetText(s.Username)
}

// SocketType maps the model's security to Thunderbird's case-sensitive
// socketType ("TLS" is not a valid value).
func SocketType(sec autoconfig.Security) string {
	switch sec {
	case autoconfig.SecurityTLS:
		return "SSL"
	case autoconfig.SecuritySTARTTLS:
		return "STARTTLS"
	default:
		return "plain"
	}
}

// Authentication maps the model's authentication. Over TLS,
// password-cleartext is the normal choice; "plain" is a deprecated alias.
func Authentication(a autoconfig.Auth) string {
	if a == autoconfig.AuthOAuth2 {
		return "OAuth2"
	}
	return "password-cleartext"
}
