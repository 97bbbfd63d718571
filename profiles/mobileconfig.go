package profiles

import (
	"fmt"
	"strings"

	"howett.net/plist"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// ErrNothingToInclude means none of the requested payloads exists for the
// provider (e.g. include=calendar where the provider has no CalDAV URL).
var ErrNothingToInclude error = nothingToInclude{}

type nothingToInclude struct{}

func (nothingToInclude) Error() string {
	return "the provider of that domain offers none of the requested services"
}

// Render returns the configuration profile of acct as an XML property list:
// the same account and options always give the same bytes.
func Render(acct autoconfig.Account, opts Options) ([]byte, error) {
	p, err := NewProfile(acct, opts)
	if err != nil {
		return nil, err
	}
	out, err := plist.MarshalIndent(p, plist.XMLFormat, "\t")
	if err != nil {
		return nil, fmt.Errorf("encoding the profile: %w", err)
	}
	return append(out, '\n'), nil
}

// NewProfile builds the profile of acct: a mail payload and, when asked for
// and offered by the provider, CalDAV and CardDAV payloads.
func NewProfile(acct autoconfig.Account, opts Options) (Profile, error) {
	id := newIdentity(acct)
	prov := acct.Provider
	var content []any
	var services []string
	if opts.Include.Mail {
		mail, err := newMailPayload(acct, id)
		if err != nil {
			return Profile{}, err
		}
		content = append(content, mail)
		services = append(services, "mail")
	}
	if opts.Include.Calendar && prov.CalDAVURL != "" {
		cal, err := newCalDAVPayload(acct, id)
		if err != nil {
			return Profile{}, err
		}
		content = append(content, cal)
		services = append(services, "calendar")
	}
	if opts.Include.Contacts && prov.CardDAVURL != "" {
		card, err := newCardDAVPayload(acct, id)
		if err != nil {
			return Profile{}, err
		}
		content = append(content, card)
		services = append(services, "contacts")
	}
	if len(content) == 0 {
		return Profile{}, ErrNothingToInclude
	}
	addr := acct.Address.String()
	return Profile{
		PayloadType:        TypeConfiguration,
		PayloadVersion:     1,
		PayloadIdentifier:  id.ProfileIdentifier(),
		PayloadUUID:        id.UUID(kindProfile),
		PayloadDisplayName: prov.DisplayName + " (" + addr + ")",
		// No password is in the profile (Apple allows them only in encrypted
		// profiles), so iOS asks at install: say which password that is.
		PayloadDescription: fmt.Sprintf("Sets up %s for %s. When asked for a password, enter a device password created for this address in the %s manager, not your login password.",
			joinWords(services), addr, prov.ShortName),
		PayloadOrganization: prov.DisplayName,
		PayloadContent:      content,
	}, nil
}

func header(acct autoconfig.Account, id identity, payloadType, kind, displayName, description string) PayloadHeader {
	return PayloadHeader{
		PayloadType:         payloadType,
		PayloadVersion:      1,
		PayloadIdentifier:   id.PayloadIdentifier(kind),
		PayloadUUID:         id.UUID(kind),
		PayloadDisplayName:  displayName,
		PayloadDescription:  description,
		PayloadOrganization: acct.Provider.DisplayName,
	}
}

func newMailPayload(acct autoconfig.Account, id identity) (MailPayload, error) {
	in, accountType, err := incomingServer(acct)
	if err != nil {
		return MailPayload{}, err
	}
	// A profile holds one SMTP server, with no fallback: the one the
	// Resolver chose for Apple (apple.smtp_port, or the preferred one).
	out := acct.Apple
	addr := acct.Address.String()
	return MailPayload{
		PayloadHeader:           header(acct, id, TypeMail, kindMail, "Mail", "Mail account "+addr),
		EmailAccountType:        accountType,
		EmailAccountDescription: addr,
		EmailAccountName:        acct.DisplayName,
		EmailAddress:            addr,

		IncomingMailServerHostName:   in.Host,
		IncomingMailServerPortNumber: in.Port,
		// UseSSL defaults to false for mail (com.apple.mail.managed.yaml).
		IncomingMailServerUseSSL:         in.Security != autoconfig.SecurityNone,
		IncomingMailServerUsername:       in.Username,
		IncomingMailServerAuthentication: EmailAuthPassword,

		OutgoingMailServerHostName: out.Host,
		// Always set: without it iOS tries 25, 587 and 465 in that order.
		OutgoingMailServerPortNumber: out.Port,
		// The schema has no STARTTLS key: UseSSL=true on 587 makes Mail use
		// STARTTLS, on 465 implicit TLS.
		OutgoingMailServerUseSSL:               out.Security != autoconfig.SecurityNone,
		OutgoingMailServerUsername:             out.Username,
		OutgoingMailServerAuthentication:       EmailAuthPassword,
		OutgoingPasswordSameAsIncomingPassword: true,
	}, nil
}

// incomingServer is the account's preferred incoming server and the
// profile's name for its protocol.
func incomingServer(acct autoconfig.Account) (autoconfig.Server, string, error) {
	s := acct.PreferredIncoming()
	switch s.Protocol {
	case autoconfig.IMAP:
		return s, EmailTypeIMAP, nil
	case autoconfig.POP3:
		return s, EmailTypePOP, nil
	}
	return autoconfig.Server{}, "", fmt.Errorf("provider %s: no IMAP or POP3 server", acct.Provider.ID)
}

func newCalDAVPayload(acct autoconfig.Account, id identity) (CalDAVPayload, error) {
	ep, err := autoconfig.ParseDAVURL(acct.Provider.CalDAVURL)
	if err != nil {
		return CalDAVPayload{}, fmt.Errorf("provider %s caldav_url: %w", acct.Provider.ID, err)
	}
	addr := acct.Address.String()
	return CalDAVPayload{
		PayloadHeader:            header(acct, id, TypeCalDAV, kindCalDAV, "Calendar", "Calendar account "+addr),
		CalDAVAccountDescription: acct.Provider.ShortName + " Calendar",
		CalDAVHostName:           ep.Host,
		CalDAVPort:               ep.Port,
		CalDAVPrincipalURL:       ep.URL,
		CalDAVUseSSL:             ep.TLS,
		CalDAVUsername:           acct.LoginAddress(),
	}, nil
}

func newCardDAVPayload(acct autoconfig.Account, id identity) (CardDAVPayload, error) {
	ep, err := autoconfig.ParseDAVURL(acct.Provider.CardDAVURL)
	if err != nil {
		return CardDAVPayload{}, fmt.Errorf("provider %s carddav_url: %w", acct.Provider.ID, err)
	}
	addr := acct.Address.String()
	return CardDAVPayload{
		PayloadHeader:             header(acct, id, TypeCardDAV, kindCardDAV, "Contacts", "Contacts account "+addr),
		CardDAVAccountDescription: acct.Provider.ShortName + " Contacts",
		CardDAVHostName:           ep.Host,
		CardDAVPort:               ep.Port,
		CardDAVPrincipalURL:       ep.URL,
		CardDAVUseSSL:             ep.TLS,
		CardDAVUsername:           acct.LoginAddress(),
	}, nil
}

// joinWords is "a", "a and b", "a, b and c".
func joinWords(words []string) string {
	if len(words) <= 1 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
