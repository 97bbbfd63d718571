package profiles

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// Apple declarative device management (DDM) declarations of one account,
// for administrators to load into their MDM: the successor of the
// configuration profile for managed devices. Schema: apple/device-management,
// declarative/declarations/ (declarationbase.yaml, configurations/account.*.yaml,
// assets/useridentity.yaml, assets/credential.userpassword.yaml and
// assets/credentials/usernameandpassword.yaml).
//
// A configuration names no password and no address itself: the address is
// a user-identity asset, and each login a credential asset. A credential
// asset is a reference (an https DataURL, with its size and hash) to a
// com.apple.credential.usernameandpassword document, which this service
// serves at CredentialPath with the user name only: the device fetches it
// and Mail asks the user for the password, as with the profile. An
// administrator who manages passwords replaces the reference with one to
// the MDM's own asset storage (Authentication "MDM").
//
// Output: one JSON file per declaration, in a zip. MDMs import declarations
// one at a time (SimpleMDM's custom declarations, and KMFDDM's PUT
// /v1/declarations, each take one declaration object, assets included); no
// MDM imports a JSON array of them, and a zip keeps the set one download.

// Declaration types this package emits.
const (
	DeclarationMail         = "com.apple.configuration.account.mail"
	DeclarationCalDAV       = "com.apple.configuration.account.caldav"
	DeclarationCardDAV      = "com.apple.configuration.account.carddav"
	DeclarationUserIdentity = "com.apple.asset.useridentity"
	DeclarationCredential   = "com.apple.asset.credential.userpassword"
)

// CredentialPath serves the credential data a credential asset refers to
// (?email=ADDR&server=ROLE): {"UserName": login}, never a password.
const CredentialPath = "/apple/credential.json"

// CredentialContentType is the credential data's media type
// (credential.userpassword.yaml: application/json).
const CredentialContentType = "application/json"

// Credential roles: which server a credential logs in to. A role names the
// credential in CredentialPath's server parameter.
const (
	RoleIncoming = "incoming"
	RoleOutgoing = "outgoing"
	RoleCalDAV   = "caldav"
	RoleCardDAV  = "carddav"
)

// Declaration is one declaration (declarationbase.yaml).
type Declaration struct {
	Type       string `json:"Type"`
	Identifier string `json:"Identifier"`
	// ServerToken names the revision: a digest of the rest, so it changes
	// exactly when the declaration does.
	ServerToken string `json:"ServerToken"`
	Payload     any    `json:"Payload"`
	// file is the declaration's file name in the zip.
	file string
}

// File is the declaration's file name in the zip.
func (d Declaration) File() string { return d.file }

// MailAccount is com.apple.configuration.account.mail. It has no TLS key:
// Mail chooses implicit TLS or STARTTLS by the port, as with the profile's
// UseSSL.
type MailAccount struct {
	VisibleName                string         `json:"VisibleName,omitempty"`
	UserIdentityAssetReference string         `json:"UserIdentityAssetReference"`
	IncomingServer             IncomingServer `json:"IncomingServer"`
	OutgoingServer             OutgoingServer `json:"OutgoingServer"`
}

// IncomingServer is the mail declaration's IncomingServer.
type IncomingServer struct {
	ServerType                              string `json:"ServerType"` // IMAP or POP
	HostName                                string `json:"HostName"`
	Port                                    int    `json:"Port"`
	AuthenticationMethod                    string `json:"AuthenticationMethod"`
	AuthenticationCredentialsAssetReference string `json:"AuthenticationCredentialsAssetReference"`
}

// OutgoingServer is the mail declaration's OutgoingServer.
type OutgoingServer struct {
	HostName                                string `json:"HostName"`
	Port                                    int    `json:"Port"`
	AuthenticationMethod                    string `json:"AuthenticationMethod"`
	AuthenticationCredentialsAssetReference string `json:"AuthenticationCredentialsAssetReference"`
}

// DAVAccount is com.apple.configuration.account.caldav and .carddav,
// which have the same keys. Like the mail declaration it has no TLS key.
type DAVAccount struct {
	VisibleName                             string `json:"VisibleName,omitempty"`
	HostName                                string `json:"HostName"`
	Port                                    int    `json:"Port"`
	Path                                    string `json:"Path"`
	AuthenticationCredentialsAssetReference string `json:"AuthenticationCredentialsAssetReference"`
}

// UserIdentity is com.apple.asset.useridentity: the mail account's address
// and sender name.
type UserIdentity struct {
	FullName     string `json:"FullName,omitempty"`
	EmailAddress string `json:"EmailAddress"`
}

// CredentialAsset is com.apple.asset.credential.userpassword.
type CredentialAsset struct {
	Reference AssetReference `json:"Reference"`
}

// AssetReference is where the device downloads an asset's data, with the
// size and digest it checks the data against.
type AssetReference struct {
	DataURL     string `json:"DataURL"`
	ContentType string `json:"ContentType"`
	Size        int    `json:"Size"`
	SHA256      string `json:"Hash-SHA-256"`
}

// credentialData is com.apple.credential.usernameandpassword without its
// optional Password.
type credentialData struct {
	UserName string `json:"UserName"`
}

// Identity kinds of declarations: new names in identity.go's derivation
// ("declaration." and the declaration's kind), so profile identities are
// unchanged.
const (
	kindDeclaration  = "declaration."
	kindUserIdentity = "useridentity"
)

// Mail's authentication method for a password login (account.mail.yaml).
const declarationAuthPassword = "Password"

// Declarations returns acct's declarations, assets first: the user
// identity, one credential per distinct login, then the mail account and,
// when asked for and offered, CalDAV and CardDAV. base is the service's
// public https URL, which the credential assets point at.
func Declarations(acct autoconfig.Account, opts Options, base string) ([]Declaration, error) {
	id := newIdentity(acct)
	creds := newCredentials(acct, id, base)
	var configs []Declaration
	if opts.Include.Mail {
		mail, err := mailDeclaration(acct, id, creds)
		if err != nil {
			return nil, err
		}
		configs = append(configs, mail)
	}
	if opts.Include.Calendar && acct.CalDAV.Offered() {
		name := texts.Translate(opts.Lang, "profile.calendar.account", acct.Provider.ShortName)
		configs = append(configs, davDeclaration(DeclarationCalDAV, RoleCalDAV, acct.CalDAV, name, id, creds))
	}
	if opts.Include.Contacts && acct.CardDAV.Offered() {
		name := texts.Translate(opts.Lang, "profile.contacts.account", acct.Provider.ShortName)
		configs = append(configs, davDeclaration(DeclarationCardDAV, RoleCardDAV, acct.CardDAV, name, id, creds))
	}
	if len(configs) == 0 {
		return nil, ErrNothingToInclude
	}
	var out []Declaration
	if opts.Include.Mail {
		out = append(out, newDeclaration(DeclarationUserIdentity, kindUserIdentity, id,
			UserIdentity{FullName: acct.DisplayName, EmailAddress: acct.AppleSenderAddress()}))
	}
	out = append(out, creds.assets...)
	return append(out, configs...), nil
}

func mailDeclaration(acct autoconfig.Account, id identity, creds *credentials) (Declaration, error) {
	in, accountType, err := incomingServer(acct)
	if err != nil {
		return Declaration{}, err
	}
	serverType := "IMAP"
	if accountType == EmailTypePOP {
		serverType = "POP"
	}
	// One SMTP server, as in the profile: the one the Resolver chose for Apple.
	out := acct.Apple
	return newDeclaration(DeclarationMail, "mail", id, MailAccount{
		VisibleName:                acct.DisplayAddress(),
		UserIdentityAssetReference: id.UUID(kindDeclaration + kindUserIdentity),
		IncomingServer: IncomingServer{
			ServerType: serverType, HostName: in.Host, Port: in.Port,
			AuthenticationMethod:                    declarationAuthPassword,
			AuthenticationCredentialsAssetReference: creds.reference(RoleIncoming, in.Username),
		},
		OutgoingServer: OutgoingServer{
			HostName: out.Host, Port: out.Port,
			AuthenticationMethod:                    declarationAuthPassword,
			AuthenticationCredentialsAssetReference: creds.reference(RoleOutgoing, out.Username),
		},
	}), nil
}

func davDeclaration(typ, role string, ep autoconfig.DAVEndpoint, name string, id identity, creds *credentials) Declaration {
	return newDeclaration(typ, role, id, DAVAccount{
		VisibleName: name, HostName: ep.Host, Port: ep.Port, Path: ep.Path,
		AuthenticationCredentialsAssetReference: creds.reference(role, ep.Username),
	})
}

// newDeclaration builds a declaration whose identifier is the account's
// stable UUID of kind and whose ServerToken digests the rest.
func newDeclaration(typ, kind string, id identity, payload any) Declaration {
	d := Declaration{Type: typ, Identifier: id.UUID(kindDeclaration + kind), Payload: payload,
		file: strings.TrimPrefix(typ, "com.apple.") + ".json"}
	body, err := json.Marshal(d)
	if err != nil {
		panic("profiles: a declaration's fields are plain values: " + err.Error())
	}
	sum := sha256.Sum256(body)
	// At most 64 octets (declarationbase.yaml); 128 bits tell revisions apart.
	d.ServerToken = hex.EncodeToString(sum[:16])
	return d
}

// credentials are the credential assets of one account: one per distinct
// login, named after the first role that uses it.
type credentials struct {
	acct   autoconfig.Account
	id     identity
	base   string
	byUser map[string]string // login → asset identifier
	assets []Declaration
}

func newCredentials(acct autoconfig.Account, id identity, base string) *credentials {
	return &credentials{acct: acct, id: id, base: base, byUser: map[string]string{}}
}

// reference returns the identifier of the credential asset for login,
// adding the asset on first use.
func (c *credentials) reference(role, login string) string {
	if ident, ok := c.byUser[login]; ok {
		return ident
	}
	data := CredentialData(login)
	sum := sha256.Sum256(data)
	q := url.Values{"email": {c.acct.Address.String()}, "server": {role}}
	asset := newDeclaration(DeclarationCredential, "credential."+role, c.id, CredentialAsset{Reference: AssetReference{
		DataURL:     c.base + CredentialPath + "?" + q.Encode(),
		ContentType: CredentialContentType,
		Size:        len(data),
		SHA256:      hex.EncodeToString(sum[:]),
	}})
	asset.file = "asset.credential." + role + ".json"
	c.byUser[login] = asset.Identifier
	c.assets = append(c.assets, asset)
	return asset.Identifier
}

// CredentialData is the com.apple.credential.usernameandpassword document
// of a login, with no password: the device asks the user for it.
func CredentialData(login string) []byte {
	body, err := json.Marshal(credentialData{UserName: login})
	if err != nil {
		panic("profiles: a string always encodes: " + err.Error())
	}
	return append(body, '\n')
}

// CredentialLogin is the login of role in acct, as the declarations refer
// to it; false when acct has no such server.
func CredentialLogin(acct autoconfig.Account, role string) (string, bool) {
	switch role {
	case RoleIncoming:
		return acct.PreferredIncoming().Username, true
	case RoleOutgoing:
		return acct.Apple.Username, true
	case RoleCalDAV:
		return acct.CalDAV.Username, acct.CalDAV.Offered()
	case RoleCardDAV:
		return acct.CardDAV.Username, acct.CardDAV.Offered()
	}
	return "", false
}

// EncodeDeclaration is the file of one declaration: indented JSON, with
// "&" in URLs written as is (encoding/json's HTML escaping would write
// \u0026, valid but unreadable).
func EncodeDeclaration(d Declaration) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		panic("profiles: a declaration's fields are plain values: " + err.Error())
	}
	return buf.Bytes()
}

// zipTime is every file's time in the zip: the same declarations give the
// same bytes.
var zipTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// DeclarationsZip renders acct's declarations as a zip of one JSON file
// per declaration (see the package comment above for why a zip).
func DeclarationsZip(acct autoconfig.Account, opts Options, base string) ([]byte, error) {
	decls, err := Declarations(acct, opts, base)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, d := range decls {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: d.File(), Method: zip.Deflate, Modified: zipTime})
		if err != nil {
			return nil, fmt.Errorf("adding %s to the zip: %w", d.File(), err)
		}
		if _, err := w.Write(EncodeDeclaration(d)); err != nil {
			return nil, fmt.Errorf("adding %s to the zip: %w", d.File(), err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("closing the zip: %w", err)
	}
	return buf.Bytes(), nil
}

// DeclarationsFileName is the zip's download name, built from the
// validated ASCII domain only.
func DeclarationsFileName(addr autoconfig.Address) string {
	return addr.Domain + "-declarations.zip"
}
