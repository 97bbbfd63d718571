package autoconfig

import (
	"strconv"

	"github.com/beevik/etree"
)

// MaxListedDomains bounds the <domain> elements of a Thunderbird document.
// Thunderbird uses them only to match the address it asked for, which is
// always listed first; a provider with 100,000 domains must not send them
// all on every request.
const MaxListedDomains = 50

// ThunderbirdConfig renders the Thunderbird autoconfig document (clientConfig
// version 1.1) of provider p for an ASCII domain.
//
// The document uses the %EMAILADDRESS% placeholders that the client
// substitutes, so it depends only on the domain and can be cached.
// Reference: wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat
// and comm-central readFromXML.sys.mjs.
func ThunderbirdConfig(p *Provider, domain string) []byte {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	root := doc.CreateElement("clientConfig")
	root.CreateAttr("version", "1.1")

	ep := root.CreateElement("emailProvider")
	ep.CreateAttr("id", p.ID)
	for _, d := range listedDomains(p, domain) {
		ep.CreateElement("domain").SetText(d)
	}
	ep.CreateElement("displayName").SetText(p.DisplayName)
	ep.CreateElement("displayShortName").SetText(p.ShortName)

	// Thunderbird makes the first server of each type the default and offers
	// the others, so the model's order (IMAP before POP3, 587 before 465) is
	// kept as is.
	for _, s := range p.Incoming {
		thunderbirdServer(ep.CreateElement("incomingServer"), s)
	}
	for _, s := range p.Outgoing {
		thunderbirdServer(ep.CreateElement("outgoingServer"), s)
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
func listedDomains(p *Provider, domain string) []string {
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

func thunderbirdServer(el *etree.Element, s Server) {
	el.CreateAttr("type", string(s.Protocol))
	el.CreateElement("hostname").SetText(s.Host)
	el.CreateElement("port").SetText(strconv.Itoa(s.Port))
	el.CreateElement("socketType").SetText(ThunderbirdSocketType(s.Security))
	el.CreateElement("authentication").SetText(ThunderbirdAuthentication(s.Auth))
	el.CreateElement("username").SetText(s.Username)
}

// ThunderbirdSocketType maps the model's security to Thunderbird's
// case-sensitive socketType ("TLS" is not a valid value).
func ThunderbirdSocketType(sec Security) string {
	switch sec {
	case SecurityTLS:
		return "SSL"
	case SecuritySTARTTLS:
		return "STARTTLS"
	default:
		return "plain"
	}
}

// ThunderbirdAuthentication maps the model's authentication. Over TLS,
// password-cleartext is the normal choice; "plain" is a deprecated alias.
func ThunderbirdAuthentication(a Auth) string {
	if a == AuthOAuth2 {
		return "OAuth2"
	}
	return "password-cleartext"
}
