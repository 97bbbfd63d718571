package profiles

// The plist structures of a profile, one field per key of Apple's schema
// (github.com/apple/device-management, mdm/profiles/*.yaml). Ints encode as
// <integer>, bools as <true/>/<false/>: the schema's types, which iOS checks
// strictly. howett.net/plist writes dictionary keys sorted, so the field
// order here does not change the bytes.

// Payload types this package emits.
const (
	TypeConfiguration = "Configuration"
	TypeMail          = "com.apple.mail.managed"
	TypeCalDAV        = "com.apple.caldav.account"
	TypeCardDAV       = "com.apple.carddav.account"
)

// Profile is the top-level dictionary (TopLevel.yaml).
type Profile struct {
	PayloadType         string `plist:"PayloadType"`
	PayloadVersion      int    `plist:"PayloadVersion"`
	PayloadIdentifier   string `plist:"PayloadIdentifier"`
	PayloadUUID         string `plist:"PayloadUUID"`
	PayloadDisplayName  string `plist:"PayloadDisplayName"`
	PayloadDescription  string `plist:"PayloadDescription"`
	PayloadOrganization string `plist:"PayloadOrganization"`
	// Each element is a MailPayload, CalDAVPayload or CardDAVPayload.
	PayloadContent []any `plist:"PayloadContent"`
}

// PayloadHeader holds the keys every payload has (CommonPayloadKeys.yaml).
type PayloadHeader struct {
	PayloadType         string `plist:"PayloadType"`
	PayloadVersion      int    `plist:"PayloadVersion"`
	PayloadIdentifier   string `plist:"PayloadIdentifier"`
	PayloadUUID         string `plist:"PayloadUUID"`
	PayloadDisplayName  string `plist:"PayloadDisplayName"`
	PayloadDescription  string `plist:"PayloadDescription"`
	PayloadOrganization string `plist:"PayloadOrganization"`
}

// MailPayload is com.apple.mail.managed. Its password keys are empty
// (left out) but in the one-step setup's profile (RenderWithPassword):
// Apple documents them for encrypted profiles, and without them iOS asks
// for the password at install.
type MailPayload struct {
	PayloadHeader

	EmailAccountType        string `plist:"EmailAccountType"` // EmailTypeIMAP or EmailTypePOP
	EmailAccountDescription string `plist:"EmailAccountDescription"`
	EmailAccountName        string `plist:"EmailAccountName,omitempty"`
	EmailAddress            string `plist:"EmailAddress"`

	IncomingMailServerHostName       string `plist:"IncomingMailServerHostName"`
	IncomingMailServerPortNumber     int    `plist:"IncomingMailServerPortNumber"`
	IncomingMailServerUseSSL         bool   `plist:"IncomingMailServerUseSSL"`
	IncomingMailServerUsername       string `plist:"IncomingMailServerUsername"`
	IncomingMailServerAuthentication string `plist:"IncomingMailServerAuthentication"`

	OutgoingMailServerHostName             string `plist:"OutgoingMailServerHostName"`
	OutgoingMailServerPortNumber           int    `plist:"OutgoingMailServerPortNumber"`
	OutgoingMailServerUseSSL               bool   `plist:"OutgoingMailServerUseSSL"`
	OutgoingMailServerUsername             string `plist:"OutgoingMailServerUsername"`
	OutgoingMailServerAuthentication       string `plist:"OutgoingMailServerAuthentication"`
	OutgoingPasswordSameAsIncomingPassword bool   `plist:"OutgoingPasswordSameAsIncomingPassword"`

	IncomingPassword string `plist:"IncomingPassword,omitempty"`
	OutgoingPassword string `plist:"OutgoingPassword,omitempty"`
}

// CalDAVPayload is com.apple.caldav.account.
type CalDAVPayload struct {
	PayloadHeader

	CalDAVAccountDescription string `plist:"CalDAVAccountDescription"`
	CalDAVHostName           string `plist:"CalDAVHostName"`
	CalDAVPort               int    `plist:"CalDAVPort"`
	CalDAVPrincipalURL       string `plist:"CalDAVPrincipalURL"`
	CalDAVUseSSL             bool   `plist:"CalDAVUseSSL"`
	CalDAVUsername           string `plist:"CalDAVUsername"`
}

// CardDAVPayload is com.apple.carddav.account.
type CardDAVPayload struct {
	PayloadHeader

	CardDAVAccountDescription string `plist:"CardDAVAccountDescription"`
	CardDAVHostName           string `plist:"CardDAVHostName"`
	CardDAVPort               int    `plist:"CardDAVPort"`
	CardDAVPrincipalURL       string `plist:"CardDAVPrincipalURL"`
	CardDAVUseSSL             bool   `plist:"CardDAVUseSSL"`
	CardDAVUsername           string `plist:"CardDAVUsername"`
}

// Values of the mail payload's enumerations.
const (
	EmailTypeIMAP     = "EmailTypeIMAP"
	EmailTypePOP      = "EmailTypePOP"
	EmailAuthPassword = "EmailAuthPassword"
)
