package autodiscover

import "strings"

// Schema is the response schema a POX request asked for, as the metrics
// count it.
type Schema uint8

const (
	// schemaUnknown: the request could not be read, so it asked for nothing.
	schemaUnknown Schema = iota
	// SchemaOutlook is Outlook's responseschema/2006a (or no schema).
	SchemaOutlook
	// SchemaMobileSync is ActiveSync's schema, which the new Outlook for
	// Windows asks for; it is answered with error 601.
	SchemaMobileSync
	// SchemaOther is any other schema.
	SchemaOther
)

// String is the schema's metrics label.
func (s Schema) String() string {
	switch s {
	case SchemaOutlook:
		return "outlook"
	case SchemaMobileSync:
		return "mobilesync"
	case SchemaOther:
		return "other"
	}
	return "unknown"
}

// MobileSyncNS is the ActiveSync response schema.
const MobileSyncNS = "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"

// RequestedSchema classifies the schema r asks for.
func (r Request) RequestedSchema() Schema {
	if r.OffersOutlookSchema() {
		return SchemaOutlook
	}
	if sameSchema(r.AcceptableResponseSchema, MobileSyncNS) {
		return SchemaMobileSync
	}
	return SchemaOther
}

// sameSchema compares a schema name as clients send it with an http:// one:
// letter case aside, and with the https:// spelling copied from
// Microsoft's current pages.
func sameSchema(sent, name string) bool {
	if rest, ok := cutPrefixFold(sent, "https://"); ok {
		return len(rest)+len("http://") == len(name) && strings.EqualFold(rest, name[len("http://"):])
	}
	return strings.EqualFold(sent, name)
}

// UserAgentKind is the kind of client a request comes from, where it changes the
// answer: it is part of the answer cache's key.
type UserAgentKind uint8

const (
	// ClientOther is Outlook and every client that reads only Outlook's
	// schema.
	ClientOther UserAgentKind = iota
	// ClientEMClient is eM Client, which also reads CalDAV and CardDAV
	// Protocol entries.
	ClientEMClient

	clientKinds = iota
)

// ClientOf is the client kind of a User-Agent header. eM Client sends
// "eM Client/<version>" (6.0, 7.0), and "eMClient/<version>" since 8.1 (as
// the DAV servers that recognise it list both: Open-Xchange's
// DAVUserAgentParser tests, Tine's EMClient7 converter).
func ClientOf(userAgent string) UserAgentKind {
	if isEMClient(userAgent) {
		return ClientEMClient
	}
	return ClientOther
}

func isEMClient(userAgent string) bool {
	return strings.Contains(userAgent, "eM Client") || strings.Contains(userAgent, "eMClient")
}

// UserAgentFamily names the client of a User-Agent header for the log: one
// of a few fixed names, never the header itself, which any client writes
// and which can identify a person's device.
func UserAgentFamily(userAgent string) string {
	switch {
	case userAgent == "":
		return "unknown"
	case isEMClient(userAgent):
		return "eM Client"
	case strings.Contains(userAgent, "Outlook"), strings.Contains(userAgent, "Microsoft Office"),
		strings.Contains(userAgent, "MSOffice"):
		return "Outlook"
	case strings.Contains(userAgent, "Thunderbird"):
		return "Thunderbird"
	case strings.Contains(userAgent, "Android"):
		return "Android"
	case strings.Contains(userAgent, "iPhone"), strings.Contains(userAgent, "iPad"), strings.Contains(userAgent, "iOS"):
		return "iOS"
	}
	return "unknown"
}
