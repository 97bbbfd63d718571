package dnscheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/autodiscover"
	"github.com/mailautoconf/mailautoconf/autoconfig/thunderbird"
)

// DiscoveryChain is one mail client's way of finding settings, named after
// the client: the checker walks each chain as that client does.
type DiscoveryChain string

const (
	ClientThunderbird        DiscoveryChain = "thunderbird"
	ClientThunderbirdAndroid DiscoveryChain = "thunderbird-android"
	ClientOutlook            DiscoveryChain = "outlook"
	ClientDeltaChat          DiscoveryChain = "deltachat"
	ClientSRVFirst           DiscoveryChain = "fairemail"
	ClientApple              DiscoveryChain = "apple"
)

// Clients in the order reports list them.
var Clients = []DiscoveryChain{ClientThunderbird, ClientThunderbirdAndroid, ClientOutlook, ClientDeltaChat, ClientSRVFirst, ClientApple}

// Outcome sums up what a client ends up with.
type Outcome string

const (
	OutcomeOurs      Outcome = "ours"      // our canonical settings
	OutcomeOther     Outcome = "other"     // settings that differ from ours
	OutcomeNothing   Outcome = "nothing"   // no settings: the user types them
	OutcomeUnchecked Outcome = "unchecked" // a step could not be made (our resolver, the deadline)
	OutcomeProfile   Outcome = "profile"   // no network discovery: the profile is the way
)

// ServerSetting is one server as a client would set it up, in the model's
// vocabulary (security tls, starttls or none).
type ServerSetting struct {
	Protocol string `json:"protocol"`
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Security string `json:"security"`
}

func (s *ServerSetting) String() string {
	if s == nil {
		return "-"
	}
	return fmt.Sprintf("%s %s:%d %s", s.Protocol, s.Host, s.Port, s.Security)
}

// FoundSettings is what a client would set up: its incoming and outgoing
// server.
type FoundSettings struct {
	Incoming *ServerSetting `json:"incoming"`
	Outgoing *ServerSetting `json:"outgoing"`
}

func (f *FoundSettings) String() string {
	if f == nil {
		return "nothing"
	}
	return f.Incoming.String() + ", " + f.Outgoing.String()
}

func (f *FoundSettings) equal(g *FoundSettings) bool {
	return f != nil && g != nil && sameServer(f.Incoming, g.Incoming) && sameServer(f.Outgoing, g.Outgoing)
}

func sameServer(a, b *ServerSetting) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Protocol == b.Protocol && strings.EqualFold(a.Host, b.Host) && a.Port == b.Port && a.Security == b.Security
}

// Note is one remark on a client's result: a catalog key (the helpdesk
// translates "check.note.<key>") and its arguments. JSON gives the English
// text.
type Note struct {
	Key  string
	Args []string
}

// Text is the note in English.
func (n Note) Text() string {
	if n.Key == "" && len(n.Args) == 1 {
		return n.Args[0] // read back from JSON
	}
	return Text("note."+n.Key, n.Args...)
}

func (n Note) MarshalJSON() ([]byte, error) { return json.Marshal(n.Text()) }

// UnmarshalJSON reads a note back as its text.
func (n *Note) UnmarshalJSON(data []byte) error {
	var text string
	if err := json.Unmarshal(data, &text); err != nil {
		return err
	}
	*n = Note{Args: []string{text}}
	return nil
}

// ClientResult is what one client finds for the domain, walking its own
// discovery chain and stopping where it stops.
type ClientResult struct {
	Client  DiscoveryChain `json:"client"`
	Found   *FoundSettings `json:"found"`
	Source  string         `json:"source"` // the URL or record it took them from
	Matches bool           `json:"matches"`
	Outcome Outcome        `json:"outcome"`
	Notes   []Note         `json:"notes"`

	via source // where the result (or the failure) comes from, for the findings
}

// sourceKind tells whose a source is, for fault attribution.
type sourceKind int

const (
	sourceNone     sourceKind = iota
	sourceRecord              // a name the domain owner points at us (autoconfig., autodiscover., SRV)
	sourceApex                // the domain's own web host
	sourceISPDB               // the public Thunderbird ISP database
	sourceMXRoute             // autoconfig.<registrable domain of the MX>
	sourceInternal            // a name refused for its internal address
)

type source struct {
	kind  sourceKind
	url   string
	names []string // DNS names (fully qualified) that lead there
}

// expectedSettings is what a client should end up with: the domain's
// preferred incoming and SMTP servers, as the Resolver decided them
// (imapOnly: the first IMAP server, for clients that read no POP3).
func expectedSettings(d autoconfig.Domain, imapOnly bool) *FoundSettings {
	f := &FoundSettings{Incoming: settingOf(d.PreferredIncoming()), Outgoing: settingOf(d.PreferredOutgoing())}
	if imapOnly {
		f.Incoming = nil
		if in, ok := d.First(autoconfig.IMAP); ok {
			f.Incoming = settingOf(in)
		}
	}
	return f
}

// expectedOutlook is what Outlook should end up with: the first incoming
// and the SMTP server of the decided Autodiscover list (one per type).
func expectedOutlook(d autoconfig.Domain) *FoundSettings {
	f := &FoundSettings{}
	for _, s := range d.Autodiscover {
		switch {
		case s.Protocol == autoconfig.SMTP && f.Outgoing == nil:
			f.Outgoing = settingOf(s)
		case s.Protocol != autoconfig.SMTP && f.Incoming == nil:
			f.Incoming = settingOf(s)
		}
	}
	return f
}

func settingOf(s autoconfig.Server) *ServerSetting {
	return &ServerSetting{Protocol: string(s.Protocol), Host: strings.ToLower(s.Host), Port: s.Port, Security: string(s.Security)}
}

// docServer is one server of a discovery document as written there.
type docServer struct {
	incoming bool
	typ      string // imap, pop3, smtp (lower case)
	host     string
	port     int
	security string // the model's vocabulary, or what the document says when it is none of them
}

func (d docServer) setting() *ServerSetting {
	return &ServerSetting{Protocol: d.typ, Host: d.host, Port: d.port, Security: d.security}
}

// parseAutoconfig reads the servers of a config-v1.1.xml document with
// the format's own reader.
func parseAutoconfig(body []byte) ([]docServer, error) {
	doc, err := thunderbird.Read(body)
	if err != nil {
		return nil, err
	}
	var out []docServer
	for _, s := range doc.Servers {
		sec, ok := s.Security()
		if !ok {
			sec = autoconfig.Security(s.SocketType) // reported as written
		}
		out = append(out, docServer{incoming: s.Incoming, typ: s.Type, host: strings.ToLower(s.Hostname), port: s.Port, security: string(sec)})
	}
	if len(out) == 0 {
		return nil, errors.New("the document lists no server")
	}
	return out, nil
}

// parsePOX reads the Protocol elements of an Autodiscover POX response
// with the format's own reader. portSecurity gives the security as
// Thunderbird reads POX (by port, only Encryption None counts); otherwise
// as Outlook reads it (Encryption overrides SSL: SSL is implicit TLS, TLS
// is STARTTLS).
func parsePOX(body []byte, portSecurity bool) ([]docServer, error) {
	resp, err := autodiscover.ReadResponse(body)
	if err != nil {
		return nil, err
	}
	var out []docServer
	for _, p := range resp.Account.Protocol {
		typ := strings.ToLower(p.Type)
		if typ != "imap" && typ != "pop3" && typ != "smtp" {
			continue
		}
		sec, ok := p.Security()
		if !ok {
			sec = autoconfig.Security(strings.ToLower(p.Encryption)) // "auto", or reported as written
		}
		if portSecurity && sec != autoconfig.SecurityNone {
			// Thunderbird's readFromOutlookXML picks STARTTLS or TLS by port.
			sec = autoconfig.SecuritySTARTTLS
			if p.Port == 993 || p.Port == 995 || p.Port == 465 {
				sec = autoconfig.SecurityTLS
			}
		}
		out = append(out, docServer{incoming: typ != "smtp", typ: typ, host: strings.ToLower(p.Server), port: p.Port, security: string(sec)})
	}
	if len(out) == 0 {
		return nil, errors.New("the response lists no server")
	}
	return out, nil
}

// reader turns a document's servers into what one client sets up.
type reader func([]docServer) (*FoundSettings, error)

// readThunderbird: the first valid incomingServer is the default, the
// first outgoingServer too; the whole file is rejected without an SMTP
// server (Thunderbird's readFromXML).
func readThunderbird(servers []docServer) (*FoundSettings, error) {
	f := &FoundSettings{}
	for _, s := range servers {
		switch {
		case s.incoming && f.Incoming == nil && (s.typ == "imap" || s.typ == "pop3"):
			f.Incoming = s.setting()
		case !s.incoming && f.Outgoing == nil && s.typ == "smtp":
			f.Outgoing = s.setting()
		}
	}
	if f.Incoming == nil || f.Outgoing == nil {
		return nil, errors.New("no usable incoming or SMTP server")
	}
	return f, nil
}

// readIMAPOnly is Delta Chat's reading: the first IMAP and
// the first SMTP server.
func readIMAPOnly(servers []docServer) (*FoundSettings, error) {
	f := &FoundSettings{}
	for _, s := range servers {
		switch {
		case s.typ == "imap" && f.Incoming == nil:
			f.Incoming = s.setting()
		case s.typ == "smtp" && f.Outgoing == nil:
			f.Outgoing = s.setting()
		}
	}
	if f.Incoming == nil || f.Outgoing == nil {
		return nil, errors.New("no IMAP or no SMTP server")
	}
	return f, nil
}

// readAndroid is Thunderbird for Android's reading: POP3 is skipped, and an
// IMAP or SMTP server with a socketType other than SSL or STARTTLS makes
// it reject the whole document (thunderbird-android's
// AutoconfigParser).
func readAndroid(servers []docServer) (*FoundSettings, error) {
	for _, s := range servers {
		if (s.typ == "imap" || s.typ == "smtp") && s.security != string(autoconfig.SecurityTLS) && s.security != string(autoconfig.SecuritySTARTTLS) {
			return nil, fmt.Errorf("%s %s:%d has security %q: the app rejects the whole document", s.typ, s.host, s.port, s.security)
		}
	}
	return readIMAPOnly(servers)
}

// step is one source of a chain: where to look and how to read it.
type step struct {
	src      source
	method   string
	body     []byte
	read     func(fetchResult) ([]docServer, error)
	approval string // non-empty: the client asks the user to approve a result from here, and why
	// askCertificate: on an untrusted certificate the client asks the user
	// instead of moving on (Thunderbird for Android).
	askCertificate bool
	// firstAnswerWins: a 2xx answer ends the chain even when it cannot be
	// read (Thunderbird aborts the other provider fetches on the first 2xx).
	firstAnswerWins bool
	// redirect: the answer is a redirect to the HTTPS URL to POST to
	// (Outlook's plain-HTTP probe of autodiscover.<d>).
	redirect bool
	// fail: no request to make; the step failed before (an MX or SRV
	// lookup it depends on).
	fail error
}

// autoconfigDoc reads a fetched config-v1.1.xml; xmlType makes a
// Content-Type other than XML a failure, as in Thunderbird desktop.
func autoconfigDoc(xmlType bool) func(fetchResult) ([]docServer, error) {
	return func(res fetchResult) ([]docServer, error) {
		if xmlType {
			ct := strings.ToLower(res.ContentType)
			if !strings.HasPrefix(ct, "text/xml") && !strings.HasPrefix(ct, "application/xml") {
				return nil, fmt.Errorf("Content-Type %q is not XML: Thunderbird does not read it", res.ContentType)
			}
		}
		return parseAutoconfig(res.Body)
	}
}

// readDoc parses a fetched config-v1.1.xml and reads it as one client.
func readDoc(f fetchResult, read reader) (*FoundSettings, error) {
	servers, err := parseAutoconfig(f.Body)
	if err != nil {
		return nil, err
	}
	return read(servers)
}

func poxDoc(portSecurity bool) func(fetchResult) ([]docServer, error) {
	return func(res fetchResult) ([]docServer, error) { return parsePOX(res.Body, portSecurity) }
}
