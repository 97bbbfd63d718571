package profiles

import (
	"errors"
	"fmt"
	"strings"

	"howett.net/plist"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/templates"
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
	return encode(p)
}

// RenderWithPassword is Render with password as the mail account's
// incoming and outgoing password, so that installing the profile is the
// whole setup (the one-step setup with a device password). The password
// is an argument, not part of Options or the Account, so that nothing
// that caches or logs those can hold it.
func RenderWithPassword(acct autoconfig.Account, opts Options, password string) ([]byte, error) {
	if password == "" {
		return nil, errors.New("the device password is empty")
	}
	p, err := NewProfile(acct, opts)
	if err != nil {
		return nil, err
	}
	for i, c := range p.PayloadContent {
		if mail, ok := c.(MailPayload); ok {
			mail.IncomingPassword, mail.OutgoingPassword = password, password
			mail.OutgoingPasswordSameAsIncomingPassword = false
			p.PayloadContent[i] = mail
		}
	}
	return encode(p)
}

func encode(p Profile) ([]byte, error) {
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
		mail, err := newMailPayload(acct, id, opts.Lang)
		if err != nil {
			return Profile{}, err
		}
		content = append(content, mail)
		services = append(services, "mail")
	}
	// The Resolver decided the DAV endpoints and their login names; the
	// profile only renders them.
	if opts.Include.Calendar && acct.CalDAV.Offered() {
		content = append(content, newCalDAVPayload(acct, id, opts.Lang))
		services = append(services, "calendar")
	}
	if opts.Include.Contacts && acct.CardDAV.Offered() {
		content = append(content, newCardDAVPayload(acct, id, opts.Lang))
		services = append(services, "contacts")
	}
	if len(content) == 0 {
		return Profile{}, ErrNothingToInclude
	}
	addr := acct.DisplayAddress()
	return Profile{
		PayloadType:         TypeConfiguration,
		PayloadVersion:      1,
		PayloadIdentifier:   id.ProfileIdentifier(),
		PayloadUUID:         id.UUID(kindProfile),
		PayloadDisplayName:  prov.DisplayName + " (" + addr + ")",
		PayloadDescription:  description(acct, services, opts.Lang),
		PayloadOrganization: prov.DisplayName,
		PayloadContent:      content,
	}, nil
}

// description says what the profile sets up and, since no password is in
// the profile (Apple allows them only in encrypted profiles) and iOS asks
// at install, which password that is: the provider's policy decides.
func description(acct autoconfig.Account, services []string, lang string) string {
	words := make([]string, len(services))
	for i, s := range services {
		words[i] = texts.Translate(lang, "profile.service."+s)
	}
	what := joinWords(words, texts.Translate(lang, "profile.and"))
	addr := acct.DisplayAddress()
	pw := acct.Provider.Passwords
	switch {
	case pw.Device() && pw.CreateURL != "":
		return texts.Translate(lang, "profile.description.device.url", what, addr, pw.CreateURL)
	case pw.Device():
		return texts.Translate(lang, "profile.description.device", what, addr)
	}
	return texts.Translate(lang, "profile.description.account", what, addr)
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

func newMailPayload(acct autoconfig.Account, id identity, lang string) (MailPayload, error) {
	in, accountType, err := incomingServer(acct)
	if err != nil {
		return MailPayload{}, err
	}
	// A profile holds one SMTP server, with no fallback: the one the
	// Resolver chose for Apple (apple.smtp_port, or the preferred one).
	out := acct.Apple
	addr := acct.DisplayAddress()
	return MailPayload{
		PayloadHeader: header(acct, id, TypeMail, kindMail,
			texts.Translate(lang, "profile.mail.name"), texts.Translate(lang, "profile.mail.description", addr)),
		EmailAccountType:        accountType,
		EmailAccountDescription: addr,
		EmailAccountName:        acct.DisplayName,
		EmailAddress:            acct.AppleSenderAddress(),

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

func newCalDAVPayload(acct autoconfig.Account, id identity, lang string) CalDAVPayload {
	ep := acct.CalDAV
	addr := acct.DisplayAddress()
	return CalDAVPayload{
		PayloadHeader: header(acct, id, TypeCalDAV, kindCalDAV,
			texts.Translate(lang, "profile.calendar.name"), texts.Translate(lang, "profile.calendar.description", addr)),
		CalDAVAccountDescription: texts.Translate(lang, "profile.calendar.account", acct.Provider.ShortName),
		CalDAVHostName:           ep.Host,
		CalDAVPort:               ep.Port,
		CalDAVPrincipalURL:       ep.URL,
		CalDAVUseSSL:             ep.TLS,
		CalDAVUsername:           ep.Username,
	}
}

func newCardDAVPayload(acct autoconfig.Account, id identity, lang string) CardDAVPayload {
	ep := acct.CardDAV
	addr := acct.DisplayAddress()
	return CardDAVPayload{
		PayloadHeader: header(acct, id, TypeCardDAV, kindCardDAV,
			texts.Translate(lang, "profile.contacts.name"), texts.Translate(lang, "profile.contacts.description", addr)),
		CardDAVAccountDescription: texts.Translate(lang, "profile.contacts.account", acct.Provider.ShortName),
		CardDAVHostName:           cardDAVHostName(ep),
		CardDAVPort:               ep.Port,
		CardDAVPrincipalURL:       ep.URL,
		CardDAVUseSSL:             ep.TLS,
		CardDAVUsername:           ep.Username,
	}
}

// cardDAVHostName is the server's address as macOS reads it. Apple's
// schema (device-management, mdm/profiles/com.apple.carddav.account.yaml)
// gives CardDAVPrincipalURL no macOS support, so a Mac would connect to the
// host without the path: the key it reads, CardDAVHostName ("the server's
// address", a string), carries the whole URL when the path is more than
// "/", the form the Contacts and Settings server fields take. iOS keeps
// reading CardDAVPrincipalURL.
func cardDAVHostName(ep autoconfig.DAVEndpoint) string {
	if ep.Path == "/" {
		return ep.Host
	}
	return ep.URL
}

// joinWords is "a", "a and b", "a, b and c".
func joinWords(words []string, and string) string {
	if len(words) <= 1 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " " + and + " " + words[len(words)-1]
}

// texts are the wizard's catalogs, whose profile.* messages are the
// profile's display texts. They are embedded and tested: a failure to
// load them is a build defect.
var texts = func() templates.Catalogs {
	cats, err := templates.LoadCatalogs()
	if err != nil {
		panic("profiles: embedded catalogs are broken: " + err.Error())
	}
	return cats
}()
