package autoconfig

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// Autodiscover POX namespaces. They are http://, although Microsoft's
// current pages print https:// (a 2020 docs rewrite changed the examples,
// not the names Outlook expects).
const (
	AutodiscoverResponseNS = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
	AutodiscoverOutlookNS  = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
	AutodiscoverRequestNS  = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
)

// AutodiscoverEncryption maps the model's security to the SSL and Encryption
// elements of an Autodiscover Protocol. In Outlook's terms SSL is implicit
// TLS and TLS is STARTTLS, and Encryption overrides SSL: answering TLS for
// 993 or 465 makes Outlook wait for a plaintext greeting and fail silently.
func AutodiscoverEncryption(sec Security) (ssl, encryption string) {
	switch sec {
	case SecurityTLS:
		return "on", "SSL"
	case SecuritySTARTTLS:
		return "on", "TLS"
	default:
		return "off", "None"
	}
}

// AutodiscoverServers are the servers an Autodiscover response lists: one
// per type, because Outlook has no fallback list. IMAP comes first; POP3
// follows only when the provider enables it, or when it has no IMAP server
// (a response without an incoming server would set up nothing).
func AutodiscoverServers(a Account) []Server {
	out := make([]Server, 0, 3)
	imap, hasIMAP := a.FirstIncoming(IMAP)
	if hasIMAP {
		out = append(out, imap)
	}
	if pop, ok := a.FirstIncoming(POP3); ok && (a.Provider.AutodiscoverPOP3 || !hasIMAP) {
		out = append(out, pop)
	}
	if smtp, ok := a.PreferredOutgoing(); ok {
		out = append(out, smtp)
	}
	return out
}

// AutodiscoverResponse renders the Outlook (responseschema/2006a) POX
// response for a resolved account.
func AutodiscoverResponse(a Account) []byte {
	return AppendAutodiscoverResponse(make([]byte, 0, 2048), a)
}

// AppendAutodiscoverResponse appends the response to dst. Responses for one
// domain differ only in the address, so the document is written directly
// from constant fragments and the escaped values: one allocation at most.
//
// Element order follows the Protocol (POX) reference (Type, Server, Port,
// LoginName, DomainRequired, SPA, SSL, AuthRequired, UsePOPAuth, SMTPLast),
// with MS-OXDSCLI's Encryption next to the SSL it overrides.
func AppendAutodiscoverResponse(dst []byte, a Account) []byte {
	address := a.Address.String()
	b := append(dst, `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="`+AutodiscoverResponseNS+`">
  <Response xmlns="`+AutodiscoverOutlookNS+`">
    <User>
`...)
	// The user's name is unknown here; Outlook shows DisplayName as the
	// account's name, and the address is what the user typed.
	b = appendTextElement(b, "      ", "DisplayName", address)
	b = appendTextElement(b, "      ", "AutoDiscoverSMTPAddress", address)
	b = append(b, `    </User>
    <Account>
      <AccountType>email</AccountType>
      <Action>settings</Action>
`...)
	incomingUser := ""
	if in, ok := a.FirstIncoming(IMAP); ok {
		incomingUser = in.Username
	} else if in, ok := a.FirstIncoming(POP3); ok {
		incomingUser = in.Username
	}
	for _, s := range AutodiscoverServers(a) {
		b = appendAutodiscoverProtocol(b, s, incomingUser)
	}
	return append(b, `    </Account>
  </Response>
</Autodiscover>
`...)
}

func appendAutodiscoverProtocol(b []byte, s Server, incomingUser string) []byte {
	const indent = "        "
	ssl, encryption := AutodiscoverEncryption(s.Security)
	b = append(b, "      <Protocol>\n"...)
	b = appendTextElement(b, indent, "Type", autodiscoverType(s.Protocol))
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
	if s.Protocol == SMTP {
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

func autodiscoverType(p Protocol) string {
	switch p {
	case IMAP:
		return "IMAP"
	case POP3:
		return "POP3"
	default:
		return "SMTP"
	}
}

// AutodiscoverErrorCode is a POX Error/ErrorCode (MS-OXDSCLI §2.2.4.1.1.3).
type AutodiscoverErrorCode int

const (
	// AutodiscoverNotFound: no settings for the address (its domain is not
	// served).
	AutodiscoverNotFound AutodiscoverErrorCode = 500
	// AutodiscoverInvalidRequest: unparsable XML, missing or invalid address.
	AutodiscoverInvalidRequest AutodiscoverErrorCode = 600
	// AutodiscoverSchemaNotOffered: the requested response schema (e.g.
	// mobilesync: ActiveSync) is not available.
	AutodiscoverSchemaNotOffered AutodiscoverErrorCode = 601
)

// Message is the error's fixed, input-free message.
func (c AutodiscoverErrorCode) Message() string {
	switch c {
	case AutodiscoverNotFound:
		return "The email address can't be found."
	case AutodiscoverSchemaNotOffered:
		return "Provider is not available for the requested schema."
	default:
		return "Invalid Request"
	}
}

// AutodiscoverError renders a POX error document. Exchange sends these with
// HTTP 200; Response is in the generic 2006 namespace, whatever schema was
// asked for, as in MS-ASCMD's AutodiscoverResponse.xsd. debug must not
// contain request input; at and id fill the Time and Id attributes.
func AutodiscoverError(code AutodiscoverErrorCode, debug string, at time.Time, id uint32) []byte {
	b := make([]byte, 0, 512)
	b = append(b, `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="`+AutodiscoverResponseNS+`">
  <Response>
    <Error Time="`...)
	b = at.UTC().AppendFormat(b, "15:04:05.0000000")
	b = append(b, `" Id="`...)
	b = strconv.AppendUint(b, uint64(id), 10)
	b = append(b, "\">\n      <ErrorCode>"...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, "</ErrorCode>\n"...)
	b = appendTextElement(b, "      ", "Message", code.Message())
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
