package thunderbird

import (
	"strconv"
	"strings"

	"github.com/beevik/etree"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/xmlread"
)

// Document is a config-v1.1.xml document read back, in the document's own
// vocabulary: what Render writes, and what the checker reads from a
// domain's live document.
type Document struct {
	Version          string // clientConfig's version attribute
	ProviderID       string
	Domains          []string
	DisplayName      string
	DisplayShortName string
	Documentation    string // the documentation URL, if any
	WebmailURL       string
	// Servers are the incomingServer and outgoingServer elements in
	// document order: Thunderbird makes the first valid one of each kind
	// the default.
	Servers []Server
}

// Server is one incomingServer or outgoingServer as written.
type Server struct {
	Incoming       bool
	Type           string // the type attribute, lower-cased: imap, pop3, smtp
	Hostname       string
	Port           int // 0 when the element is not a number
	SocketType     string
	Authentication string
	Username       string
}

// Security is the model's security for the server's socketType, the
// inverse of SocketType; ok is false for a value Thunderbird does not know
// (socketType is case-sensitive).
func (s Server) Security() (sec autoconfig.Security, ok bool) {
	switch s.SocketType {
	case "SSL":
		return autoconfig.SecurityTLS, true
	case "STARTTLS":
		return autoconfig.SecuritySTARTTLS, true
	case "plain":
		return autoconfig.SecurityNone, true
	}
	return "", false
}

// Incoming lists the incoming servers in document order.
func (d Document) Incoming() []Server { return d.servers(true) }

// Outgoing lists the outgoing servers in document order.
func (d Document) Outgoing() []Server { return d.servers(false) }

func (d Document) servers(incoming bool) []Server {
	var out []Server
	for _, s := range d.Servers {
		if s.Incoming == incoming {
			out = append(out, s)
		}
	}
	return out
}

// Read reads a config-v1.1.xml document: the inverse of Render. It reads
// what Thunderbird's readFromXML reads (clientConfig/emailProvider) and
// leaves judging the values to the caller.
func Read(body []byte) (Document, error) {
	els, err := xmlread.Open(body, "document", "clientConfig", "emailProvider")
	if err != nil {
		return Document{}, err
	}
	root, ep := els[0], els[1]
	d := Document{
		Version:          root.SelectAttrValue("version", ""),
		ProviderID:       ep.SelectAttrValue("id", ""),
		DisplayName:      xmlread.ChildText(ep, "displayName"),
		DisplayShortName: xmlread.ChildText(ep, "displayShortName"),
	}
	if el := ep.SelectElement("documentation"); el != nil {
		d.Documentation = el.SelectAttrValue("url", "")
	}
	if el := root.FindElement("webMail/loginPage"); el != nil {
		d.WebmailURL = el.SelectAttrValue("url", "")
	}
	for _, el := range ep.ChildElements() {
		switch el.Tag {
		case "domain":
			d.Domains = append(d.Domains, strings.TrimSpace(el.Text()))
		case "incomingServer", "outgoingServer":
			d.Servers = append(d.Servers, readServer(el))
		}
	}
	return d, nil
}

func readServer(el *etree.Element) Server {
	port, _ := strconv.Atoi(xmlread.ChildText(el, "port"))
	return Server{
		Incoming:       el.Tag == "incomingServer",
		Type:           strings.ToLower(el.SelectAttrValue("type", "")),
		Hostname:       xmlread.ChildText(el, "hostname"),
		Port:           port,
		SocketType:     xmlread.ChildText(el, "socketType"),
		Authentication: xmlread.ChildText(el, "authentication"),
		Username:       xmlread.ChildText(el, "username"),
	}
}
