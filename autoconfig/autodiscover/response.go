// Package autodiscover renders and serves Outlook Autodiscover: the POX
// XML endpoint (Outlook, Thunderbird, eM Client, mobile apps) and the v2
// jsonResponse endpoint that points Outlook 2016+ at it.
package autodiscover

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// Autodiscover POX namespaces. They are http://, although Microsoft's
// current pages print https:// (a 2020 docs rewrite changed the examples,
// not the names Outlook expects).
const (
	ResponseNS = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
	OutlookNS  = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
	RequestNS  = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
)

// Encryption maps the model's security to the SSL and Encryption
// elements of an Autodiscover Protocol. In Outlook's terms SSL is implicit
// TLS and TLS is STARTTLS, and Encryption overrides SSL: answering TLS for
// 993 or 465 makes Outlook wait for a plaintext greeting and fail silently.
func Encryption(sec autoconfig.Security) (ssl, encryption string) {
	switch sec {
	case autoconfig.SecurityTLS:
		return "on", "SSL"
	case autoconfig.SecuritySTARTTLS:
		return "on", "TLS"
	default:
		return "off", "None"
	}
}

// Response renders the Outlook (responseschema/2006a) POX response for a
// resolved account, as every client but eM Client gets it.
func Response(a autoconfig.Account) []byte {
	return appendResponse(make([]byte, 0, 2048), a)
}

// ResponseFor renders the response for a kind of client: eM Client also
// gets the account's CalDAV and CardDAV servers.
func ResponseFor(a autoconfig.Account, client UserAgentKind) []byte {
	return AppendResponseFor(make([]byte, 0, 2048), a, client)
}

// appendResponse appends the response to dst. Responses for one domain
// differ only in the address, so the document is written directly from
// constant fragments and the escaped values: one allocation at most.
//
// The Protocol list is the account's Autodiscover decision: one server per
// type, as Outlook has no fallback list. Element order follows the Protocol
// (POX) reference (Type, Server, Port, LoginName, DomainRequired, SPA, SSL,
// AuthRequired, UsePOPAuth, SMTPLast), with MS-OXDSCLI's Encryption next to
// the SSL it overrides.
func appendResponse(dst []byte, a autoconfig.Account) []byte {
	return AppendResponseFor(dst, a, ClientOther)
}

// AppendResponseFor appends the response for a kind of client to dst: for
// eM Client, the account's CalDAV and CardDAV servers follow the mail
// servers, as Protocol entries of types CalDAV and CardDAV. Outlook knows
// no such types, so no other client gets them.
func AppendResponseFor(dst []byte, a autoconfig.Account, client UserAgentKind) []byte {
	b := append(dst, `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="`+ResponseNS+`">
  <Response xmlns="`+OutlookNS+`">
    <User>
`...)
	// Outlook shows DisplayName as the sender's name: the person's name
	// when one was given, and left out otherwise (the element is optional),
	// never the address.
	if a.DisplayName != "" {
		b = appendTextElement(b, "      ", "DisplayName", a.DisplayName)
	}
	b = appendTextElement(b, "      ", "AutoDiscoverSMTPAddress", a.SenderAddress())
	b = append(b, `    </User>
    <Account>
      <AccountType>email</AccountType>
      <Action>settings</Action>
`...)
	incomingUser := a.PreferredIncoming().Username
	for _, s := range a.Autodiscover {
		b = appendProtocol(b, s, incomingUser)
	}
	if client == ClientEMClient {
		b = appendDAVProtocol(b, "CalDAV", a.CalDAV)
		b = appendDAVProtocol(b, "CardDAV", a.CardDAV)
	}
	return append(b, `    </Account>
  </Response>
</Autodiscover>
`...)
}

func appendProtocol(b []byte, s autoconfig.Server, incomingUser string) []byte {
	const indent = "        "
	ssl, encryption := Encryption(s.Security)
	b = append(b, "      <Protocol>\n"...)
	b = appendTextElement(b, indent, "Type", protocolType(s.Protocol))
	b = appendTextElement(b, indent, "Server", s.Host)
	b = append(b, indent+"<Port>"...)
	b = strconv.AppendInt(b, int64(s.Port), 10)
	b = append(b, "</Port>\n"...)
	// An absent LoginName means "the part before @" to Outlook.
	b = appendTextElement(b, indent, "LoginName", s.Username)
	b = append(b, indent+"<DomainRequired>off</DomainRequired>\n"...)
	// SPA defaults to on (Windows NTLM), which breaks password login.
	b = append(b, indent+"<SPA>off</SPA>\n"...)
	b = appendTextElement(b, indent, "SSL", ssl)
	b = appendTextElement(b, indent, "Encryption", encryption)
	b = append(b, indent+"<AuthRequired>on</AuthRequired>\n"...)
	if s.Protocol == autoconfig.SMTP {
		// UsePOPAuth reuses the incoming server's credentials, which is
		// right only when the usernames are the same.
		usePOPAuth := "off"
		if s.Username == incomingUser {
			usePOPAuth = "on"
		}
		b = appendTextElement(b, indent, "UsePOPAuth", usePOPAuth)
		b = append(b, indent+"<SMTPLast>off</SMTPLast>\n"...)
	}
	return append(b, "      </Protocol>\n"...)
}

// appendDAVProtocol appends a CalDAV or CardDAV Protocol entry as eM Client
// reads it, when the provider offers the service: Type, Server as the full
// URL, LoginName and DomainRequired, the shape mailcow's Autodiscover
// (data/web/autodiscover.php) sends and eM Client sets calendars and
// contacts up from (mailcow's eM Client guide). There is no Port or SSL
// element: the URL carries both.
func appendDAVProtocol(b []byte, typ string, ep autoconfig.DAVEndpoint) []byte {
	if !ep.Offered() {
		return b
	}
	const indent = "        "
	b = append(b, "      <Protocol>\n"...)
	b = appendTextElement(b, indent, "Type", typ)
	b = appendTextElement(b, indent, "Server", ep.URL)
	b = appendTextElement(b, indent, "LoginName", ep.Username)
	b = append(b, indent+"<DomainRequired>off</DomainRequired>\n"...)
	return append(b, "      </Protocol>\n"...)
}

func protocolType(p autoconfig.Protocol) string {
	switch p {
	case autoconfig.IMAP:
		return "IMAP"
	case autoconfig.POP3:
		return "POP3"
	default:
		return "SMTP"
	}
}

// ErrorCode is a POX Error/ErrorCode (MS-OXDSCLI §2.2.4.1.1.3).
type ErrorCode int

const (
	// NotFound: no settings for the address (its domain is not
	// served).
	NotFound ErrorCode = 500
	// InvalidRequest: unparsable XML, missing or invalid address.
	InvalidRequest ErrorCode = 600
	// SchemaNotOffered: the requested response schema (e.g.
	// mobilesync: ActiveSync) is not available.
	SchemaNotOffered ErrorCode = 601
)

// message is the error's fixed, input-free message.
func (c ErrorCode) message() string {
	switch c {
	case NotFound:
		return "The email address can't be found."
	case SchemaNotOffered:
		return "Provider is not available for the requested schema."
	default:
		return "Invalid Request"
	}
}

// errorDocument renders a POX error document. Exchange sends these with
// HTTP 200; Response is in the generic 2006 namespace, whatever schema was
// asked for, as in MS-ASCMD's Response.xsd. debug must not
// contain request input; at and id fill the Time and Id attributes.
func errorDocument(code ErrorCode, debug string, at time.Time, id uint32) []byte {
	b := make([]byte, 0, 512)
	b = append(b, `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="`+ResponseNS+`">
  <Response>
    <Error Time="`...)
	b = at.UTC().AppendFormat(b, "15:04:05.0000000")
	b = append(b, `" Id="`...)
	b = strconv.AppendUint(b, uint64(id), 10)
	b = append(b, "\">\n      <ErrorCode>"...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, "</ErrorCode>\n"...)
	b = appendTextElement(b, "      ", "Message", code.message())
	b = appendTextElement(b, "      ", "DebugData", debug)
	return append(b, `    </Error>
  </Response>
</Autodiscover>
`...)
}

// appendTextElement appends indent<name>escaped text</name> and a newline.
func appendTextElement(b []byte, indent, name, text string) []byte {
	b = append(b, indent...)
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	b = appendEscapedXML(b, text)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, ">\n"...)
}

// appendEscapedXML escapes s as XML character data (never an attribute
// value, so quotes stay as they are). Characters XML 1.0
// cannot carry (controls, invalid UTF-8) become U+FFFD, as encoding/xml
// does, so the document always parses.
func appendEscapedXML(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '&':
				b = append(b, "&amp;"...)
			case c == '<':
				b = append(b, "&lt;"...)
			case c == '>':
				b = append(b, "&gt;"...)
			case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
				b = append(b, "\uFFFD"...)
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || !isXMLChar(r) {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

// isXMLChar reports whether r is allowed by XML 1.0's Char production
// (for r ≥ 0x80).
func isXMLChar(r rune) bool {
	return r >= 0x80 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
