package wizard

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"howett.net/plist"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/autodiscover"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnscheck"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnsrecords"
	"github.com/mailautoconf/mailautoconf/autoconfig/pacc"
	"github.com/mailautoconf/mailautoconf/autoconfig/tbimport"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/thunderbird"
	"github.com/mailautoconf/mailautoconf/profiles"
)

// The cross-format test: for every configuration under testdata/config and
// every address of its providers, each consumer of the model (Thunderbird
// autoconfig, Autodiscover, the Apple profile, PACC, the DNS records, the
// wizard's settings views, the checker's expectations), read back as its
// client reads it, agrees with the Account on host, port, security and login
// of the preferred and the fallback servers. The wizard package is the one
// that sees every consumer.

// conn is a server as a client reads it.
type conn struct {
	Proto, Host string
	Port        int
	Security    autoconfig.Security
	Login       string
}

func (c conn) String() string {
	return c.Proto + " " + c.Host + ":" + strconv.Itoa(c.Port) + " " + string(c.Security) + " " + c.Login
}

func connOf(s autoconfig.Server) conn {
	return conn{string(s.Protocol), s.Host, s.Port, s.Security, s.Username}
}

func connsOf(servers []autoconfig.Server) []conn {
	out := make([]conn, len(servers))
	for i, s := range servers {
		out[i] = connOf(s)
	}
	return out
}

// crossFormatCases are every provider's addresses in every configuration:
// each exact domain, with a mixed-case local part, and an IDN domain where
// the provider serves any domain (catch_all).
func crossFormatCases(t *testing.T) map[string][]string {
	t.Helper()
	root := testkit.Testdata(t, "config")
	cases := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".yaml" {
			return err
		}
		cfg, err := autoconfig.LoadFile(path)
		require.NoError(t, err, path)
		name, _ := filepath.Rel(root, path)
		for _, p := range cfg.Providers {
			for _, domain := range p.Domains {
				if !strings.HasPrefix(domain, "*.") {
					cases[name] = append(cases[name], "Jane.Doe@"+autoconfig.UnicodeDomain(domain))
				} else {
					cases[name] = append(cases[name], "jane@shop"+domain[1:])
				}
			}
		}
		if cfg.CatchAll != nil {
			cases[name] = append(cases[name], "Jane.Doe@Bücher.ch", "jane@xn--bcher-kva.ch")
		}
		return nil
	})
	require.NoError(t, err)
	cases["(embedded default)"] = []string{"Jane.Doe@Example.CH", "jane@bücher.ch", "jane@xn--bcher-kva.ch"}
	return cases
}

func TestCrossFormat_EveryConsumerAgreesWithTheAccount(t *testing.T) {
	for name, addresses := range crossFormatCases(t) {
		cfg := autoconfig.Default()
		if name != "(embedded default)" {
			cfg = testkit.Config(t, name)
		}
		for _, address := range addresses {
			t.Run(name+"/"+address, func(t *testing.T) {
				addr := testkit.Address(t, address)
				p := testkit.Provider(t, cfg, addr.Domain)
				acct := autoconfig.NewAccount(p, addr, "Jane Doe")
				d := autoconfig.NewDomain(p, addr.Domain)
				checkThunderbird(t, acct, d)
				checkAutodiscover(t, acct, d)
				checkAppleProfile(t, acct)
				checkAppleDeclarations(t, acct)
				checkAppleContacts(t, acct)
				checkTBImport(t, acct)
				checkPACC(t, acct, d)
				checkDNSRecords(t, acct, dnsrecords.ForDomain(d, "svc.example"))
				checkDomainConnect(t, acct, d)
				checkWizardViews(t, acct)
			})
		}
	}
}

// checkThunderbird reads the per-domain document as Thunderbird does,
// substituting the placeholders with the address it was set up with: the
// ASCII form, the only one Thunderbird accepts (it refuses a Unicode
// domain), whatever form the provider's logins take.
func checkThunderbird(t *testing.T, acct autoconfig.Account, d autoconfig.Domain) {
	t.Helper()
	body := thunderbird.Render(d)
	doc, err := thunderbird.Read(body)
	require.NoError(t, err)
	read := func(servers []thunderbird.Server) []conn {
		var out []conn
		for _, s := range servers {
			sec, ok := thunderbirdSecurity[s.SocketType]
			assert.True(t, ok, "socketType %q is one Thunderbird knows", s.SocketType)
			login := strings.NewReplacer(autoconfig.PlaceholderAddress, acct.Address.ASCII(),
				autoconfig.PlaceholderLocalPart, acct.Address.Local).Replace(s.Username)
			assert.NotContains(t, login, "%", "every placeholder is one Thunderbird's readers fill in")
			out = append(out, conn{s.Type, s.Hostname, s.Port, sec, login})
		}
		return out
	}
	assert.Equal(t, connsOf(acct.Incoming), read(doc.Incoming()), "Thunderbird incoming, preferred first")
	assert.Equal(t, connsOf(acct.Outgoing), read(doc.Outgoing()), "Thunderbird outgoing, preferred first")

	// The checker reads the document as the model says it must be.
	got, err := dnscheck.ThunderbirdServers(body)
	require.NoError(t, err)
	want := modelLines(append(slices.Clone(d.Incoming), d.Outgoing...))
	assert.Equal(t, want, got, "checker's reading of the Thunderbird document")
	assert.Equal(t, want, dnscheck.WantThunderbird(d), "checker's Thunderbird expectation")
}

// thunderbirdSecurity and outlookSecurity are the clients' words for the
// model's security, written out here (Thunderbird's socketType is
// case-sensitive; Outlook's Encryption TLS is STARTTLS), so that a wrong
// mapping in a writer or a reader fails.
var (
	thunderbirdSecurity = map[string]autoconfig.Security{"SSL": autoconfig.SecurityTLS, "STARTTLS": autoconfig.SecuritySTARTTLS, "plain": autoconfig.SecurityNone}
	outlookSecurity     = map[string]autoconfig.Security{"SSL": autoconfig.SecurityTLS, "TLS": autoconfig.SecuritySTARTTLS, "None": autoconfig.SecurityNone}
)

// modelLines are servers as the checker reports them: the model's
// protocol, lower-case host, port and security.
func modelLines(servers []autoconfig.Server) []string {
	out := make([]string, len(servers))
	for i, s := range servers {
		out[i] = string(s.Protocol) + " " + strings.ToLower(s.Host) + ":" + strconv.Itoa(s.Port) + " " + string(s.Security)
	}
	return out
}

// checkAutodiscover reads the POX answer as Outlook does: Encryption
// overrides SSL, one Protocol per type.
func checkAutodiscover(t *testing.T, acct autoconfig.Account, d autoconfig.Domain) {
	t.Helper()
	body := autodiscover.Response(acct)
	r, err := autodiscover.ReadResponse(body)
	require.NoError(t, err)
	var got []conn
	for _, p := range r.Account.Protocol {
		sec, ok := outlookSecurity[p.Encryption]
		assert.True(t, ok, "Encryption %q is one Outlook knows", p.Encryption)
		got = append(got, conn{strings.ToLower(p.Type), p.Server, p.Port, sec, p.LoginName})
	}
	assert.Equal(t, connsOf(acct.Autodiscover), got, "Autodiscover protocols")
	require.NotEmpty(t, got)
	assert.Equal(t, connOf(acct.PreferredIncoming()), got[0], "Autodiscover incoming is the preferred one")
	assert.Equal(t, connOf(acct.PreferredOutgoing()), got[len(got)-1], "Autodiscover SMTP is the preferred one")
	assert.Equal(t, acct.SenderAddress(), r.User.AutoDiscoverSMTPAddress, "Outlook's SMTP address is the sender form, whatever the logins")
	assert.True(t, isASCIIDomain(r.User.AutoDiscoverSMTPAddress), "Outlook's SMTP address has an ASCII domain")
	assert.Equal(t, acct.DisplayName, r.User.DisplayName)

	got2, err := dnscheck.AutodiscoverServers(body)
	require.NoError(t, err)
	want := modelLines(d.Autodiscover)
	assert.Equal(t, want, got2, "checker's reading of the Autodiscover answer")
	assert.Equal(t, want, dnscheck.WantAutodiscover(d), "checker's Autodiscover expectation")
}

// checkAppleProfile reads the mail payload: no STARTTLS key, UseSSL and the
// port say it; one SMTP server.
func checkAppleProfile(t *testing.T, acct autoconfig.Account) {
	t.Helper()
	body, err := profiles.Render(acct, profiles.Options{Include: profiles.IncludeMail})
	require.NoError(t, err)
	var prof struct {
		PayloadContent []profiles.MailPayload
	}
	_, err = plist.Unmarshal(body, &prof)
	require.NoError(t, err)
	require.Len(t, prof.PayloadContent, 1)
	m := prof.PayloadContent[0]
	in, out := acct.PreferredIncoming(), acct.Apple
	assert.Equal(t, map[autoconfig.Protocol]string{autoconfig.IMAP: profiles.EmailTypeIMAP, autoconfig.POP3: profiles.EmailTypePOP}[in.Protocol], m.EmailAccountType)
	assert.Equal(t, []any{in.Host, in.Port, in.Security != autoconfig.SecurityNone, in.Username},
		[]any{m.IncomingMailServerHostName, m.IncomingMailServerPortNumber, m.IncomingMailServerUseSSL, m.IncomingMailServerUsername}, "Apple incoming")
	assert.Equal(t, []any{out.Host, out.Port, out.Security != autoconfig.SecurityNone, out.Username},
		[]any{m.OutgoingMailServerHostName, m.OutgoingMailServerPortNumber, m.OutgoingMailServerUseSSL, m.OutgoingMailServerUsername}, "Apple outgoing")
	assert.Equal(t, acct.DisplayName, m.EmailAccountName)
	assert.Equal(t, acct.AppleSenderAddress(), m.EmailAddress, "Apple Mail sends as the Apple sender form")
}

// checkTBImport reads the Thunderbird for Android import payload's
// identity: its reader refuses a non-ASCII domain.
func checkTBImport(t *testing.T, acct autoconfig.Account) {
	t.Helper()
	body, err := tbimport.Payload(acct)
	if errors.Is(err, tbimport.ErrUnexpressible) {
		return
	}
	require.NoError(t, err)
	var payload []json.RawMessage
	require.NoError(t, json.Unmarshal(body, &payload))
	require.Len(t, payload, 4)
	var accounts [][]json.RawMessage
	require.NoError(t, json.Unmarshal(payload[3], &accounts))
	require.Len(t, accounts, 1)
	require.Len(t, accounts[0], 2)
	var identity []any
	require.NoError(t, json.Unmarshal(accounts[0][1], &identity))
	require.NotEmpty(t, identity)
	assert.Equal(t, acct.SenderAddress(), identity[0], "Thunderbird for Android's identity is the sender form")
	assert.True(t, isASCIIDomain(identity[0].(string)), "Thunderbird for Android refuses a non-ASCII domain")
}

// isASCIIDomain reports whether address's domain is all ASCII.
func isASCIIDomain(address string) bool {
	at := strings.LastIndexByte(address, '@')
	for _, r := range address[at+1:] {
		if r >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// checkAppleDeclarations reads the declarations as a device does: each
// login from the credential data its asset points at (which must match the
// asset's digest), the servers from the configurations. One SMTP server,
// the Apple one, as in the profile.
func checkAppleDeclarations(t *testing.T, acct autoconfig.Account) {
	t.Helper()
	decls, err := profiles.Declarations(acct, profiles.Options{Include: profiles.Include{Mail: true, Calendar: true, Contacts: true}}, "https://svc.example")
	require.NoError(t, err)
	type file struct {
		Type       string
		Identifier string
		Payload    json.RawMessage
	}
	logins := map[string]string{} // credential asset identifier → login
	configs := map[string]json.RawMessage{}
	for _, d := range decls {
		var f file
		require.NoError(t, json.Unmarshal(profiles.EncodeDeclaration(d), &f))
		if f.Type != profiles.DeclarationCredential {
			configs[f.Type] = f.Payload
			continue
		}
		var asset profiles.CredentialAsset
		require.NoError(t, json.Unmarshal(f.Payload, &asset))
		u, err := url.Parse(asset.Reference.DataURL)
		require.NoError(t, err)
		assert.Equal(t, profiles.CredentialPath, u.Path)
		login, ok := profiles.CredentialLogin(acct, u.Query().Get("server"))
		require.True(t, ok)
		data := profiles.CredentialData(login)
		sum := sha256.Sum256(data)
		assert.Equal(t, asset.Reference.SHA256, hex.EncodeToString(sum[:]), "the asset's digest is the served data's")
		var cred struct{ UserName string }
		require.NoError(t, json.Unmarshal(data, &cred))
		logins[f.Identifier] = cred.UserName
	}
	var mail profiles.MailAccount
	require.NoError(t, json.Unmarshal(configs[profiles.DeclarationMail], &mail))
	var identity profiles.UserIdentity
	require.NoError(t, json.Unmarshal(configs[profiles.DeclarationUserIdentity], &identity))
	assert.Equal(t, acct.AppleSenderAddress(), identity.EmailAddress, "the declarations send as the profile does")
	assert.Equal(t, acct.DisplayName, identity.FullName)
	in, out := acct.PreferredIncoming(), acct.Apple
	assert.Equal(t, map[autoconfig.Protocol]string{autoconfig.IMAP: "IMAP", autoconfig.POP3: "POP"}[in.Protocol], mail.IncomingServer.ServerType)
	// The declaration has no TLS key: Mail chooses it by the port.
	assert.Equal(t, []any{in.Host, in.Port, in.Username},
		[]any{mail.IncomingServer.HostName, mail.IncomingServer.Port, logins[mail.IncomingServer.AuthenticationCredentialsAssetReference]}, "declaration incoming")
	assert.Equal(t, []any{out.Host, out.Port, out.Username},
		[]any{mail.OutgoingServer.HostName, mail.OutgoingServer.Port, logins[mail.OutgoingServer.AuthenticationCredentialsAssetReference]}, "declaration outgoing")
	for typ, ep := range map[string]autoconfig.DAVEndpoint{profiles.DeclarationCalDAV: acct.CalDAV, profiles.DeclarationCardDAV: acct.CardDAV} {
		raw, ok := configs[typ]
		require.Equal(t, ep.Offered(), ok, "%s present exactly when offered", typ)
		if !ok {
			continue
		}
		var dav profiles.DAVAccount
		require.NoError(t, json.Unmarshal(raw, &dav))
		assert.Equal(t, []any{ep.Host, ep.Port, ep.Path, ep.Username},
			[]any{dav.HostName, dav.Port, dav.Path, logins[dav.AuthenticationCredentialsAssetReference]}, typ)
	}
}

// checkAppleContacts reads the CardDAV payload as each Apple system does:
// iOS takes CardDAVPrincipalURL; macOS, which has no principal URL key in
// Apple's schema, takes CardDAVHostName (a URL when it holds a scheme, else
// a host reached on CardDAVPort with CardDAVUseSSL). Both reach the
// provider's CardDAV URL, path included.
func checkAppleContacts(t *testing.T, acct autoconfig.Account) {
	t.Helper()
	if !acct.CardDAV.Offered() {
		return
	}
	body, err := profiles.Render(acct, profiles.Options{Include: profiles.Include{Mail: true, Contacts: true}})
	require.NoError(t, err)
	var prof struct {
		PayloadContent []map[string]any
	}
	_, err = plist.Unmarshal(body, &prof)
	require.NoError(t, err)
	require.Len(t, prof.PayloadContent, 2)
	card := prof.PayloadContent[1]
	assert.Equal(t, acct.CardDAV.URL, card["CardDAVPrincipalURL"], "iOS reads the principal URL")
	host, _ := card["CardDAVHostName"].(string)
	macOS := host
	if !strings.Contains(host, "://") {
		scheme := map[bool]string{true: "https", false: "http"}[card["CardDAVUseSSL"] == true]
		macOS = scheme + "://" + host + ":" + strconv.FormatUint(card["CardDAVPort"].(uint64), 10) + "/"
	}
	want, err := autoconfig.ParseDAVURL(acct.CardDAV.URL)
	require.NoError(t, err)
	got, err := autoconfig.ParseDAVURL(macOS)
	require.NoError(t, err, macOS)
	assert.Equal(t, []any{want.Host, want.Port, want.TLS, want.Path}, []any{got.Host, got.Port, got.TLS, got.Path}, "macOS reaches the CardDAV URL from the host name")
	assert.Equal(t, acct.CardDAV.Username, card["CardDAVUsername"])
}

// checkPACC: PACC implies implicit TLS on the default ports and has no
// login field, so it lists the preferred server when it can say it.
func checkPACC(t *testing.T, acct autoconfig.Account, d autoconfig.Domain) {
	t.Helper()
	body, err := pacc.Render(d)
	if errors.Is(err, pacc.ErrLoginNotAddress) {
		// PACC has no username field: withheld unless every login is the
		// address.
		assert.False(t, acct.PreferredIncoming().Username == acct.LoginAddress() &&
			acct.PreferredOutgoing().Username == acct.LoginAddress(), "PACC withheld although the logins are the address")
		return
	}
	if err != nil {
		assert.ErrorIs(t, err, pacc.ErrUnexpressible)
		return
	}
	var doc struct {
		Protocols map[string]struct{ Host string } `json:"protocols"`
	}
	require.NoError(t, json.Unmarshal(body, &doc))
	in := acct.PreferredIncoming()
	if in.Security == autoconfig.SecurityTLS && (in.Port == 993 || in.Port == 995) {
		assert.Equal(t, in.Host, doc.Protocols[string(in.Protocol)].Host, "PACC incoming is the preferred one")
		assert.Equal(t, acct.LoginAddress(), in.Username, "PACC clients log in with the address")
	}
	if out := acct.PreferredOutgoing(); out.Security == autoconfig.SecurityTLS && out.Port == 465 {
		assert.Equal(t, out.Host, doc.Protocols["submit"].Host, "PACC submission is the preferred one")
		assert.Equal(t, acct.LoginAddress(), out.Username, "PACC clients log in with the address")
	}
}

// checkDNSRecords: among the SRV records, the preferred servers have the
// best (lowest) priority of their direction (RFC 6186 §3.4).
func checkDNSRecords(t *testing.T, acct autoconfig.Account, records []dnsrecords.Record) {
	t.Helper()
	best := map[bool]dnsrecords.Record{} // outgoing → best SRV
	for _, r := range records {
		if r.Type != "SRV" || r.Target == "." || strings.HasPrefix(r.Name, "_autodiscover.") {
			continue
		}
		out := strings.HasPrefix(r.Name, "_submission")
		if b, ok := best[out]; !ok || r.Priority < b.Priority {
			best[out] = r
		}
	}
	for out, want := range map[bool]autoconfig.Server{false: acct.PreferredIncoming(), true: acct.PreferredOutgoing()} {
		if want.Security == autoconfig.SecurityNone {
			continue
		}
		r, ok := best[out]
		require.True(t, ok, "an SRV record announces %v", want)
		assert.Equal(t, []any{want.Host + ".", want.Port}, []any{r.Target, r.Port}, "best SRV record is the preferred server")
	}
}

// checkDomainConnect applies the provider's Domain Connect template to the
// domain as a DNS host does: its SRV records say what the printed ones
// say, and its PACC TXT pins the document served.
func checkDomainConnect(t *testing.T, acct autoconfig.Account, d autoconfig.Domain) {
	t.Helper()
	tmpl, err := dnsrecords.DomainConnect(d.Provider, "svc.example")
	require.NoError(t, err)
	records, err := dnsrecords.Apply(tmpl, d.Name, dnsrecords.Variables(d))
	require.NoError(t, err)
	checkDNSRecords(t, acct, records)
	var digests []string
	for _, r := range records {
		if strings.HasPrefix(r.Name, pacc.Label+".") {
			digests = append(digests, r.Text)
		}
	}
	if doc, err := pacc.Render(d); err == nil {
		assert.Equal(t, []string{pacc.DigestRecord(doc)}, digests, "the template's PACC TXT pins the served document")
	} else {
		assert.Empty(t, digests, "no PACC document, no digest")
	}
}

// checkWizardViews: the settings table recommends the preferred servers,
// and on an Apple profile's page the SMTP server the profile installs.
func checkWizardViews(t *testing.T, acct autoconfig.Account) {
	t.Helper()
	for _, apple := range []bool{false, true} {
		v := newAccountView(acct, apple)
		in := acct.PreferredIncoming()
		assert.Equal(t, []any{strings.ToUpper(string(in.Protocol)), in.Host, in.Port, "security." + string(in.Security)},
			[]any{v.Incoming.Protocol, v.Incoming.Host, v.Incoming.Port, v.Incoming.SecurityKey}, "wizard incoming")
		assert.Equal(t, in.Username, v.Username)
		wantOut := acct.PreferredOutgoing()
		if apple {
			wantOut = acct.Apple
		}
		require.NotEmpty(t, v.Outgoing)
		assert.Equal(t, []any{wantOut.Host, wantOut.Port, "security." + string(wantOut.Security), "settings.role.recommended"},
			[]any{v.Outgoing[0].Host, v.Outgoing[0].Port, v.Outgoing[0].SecurityKey, v.Outgoing[0].RoleKey}, "wizard recommended SMTP (apple page: %v)", apple)
		assert.Len(t, v.Outgoing, len(acct.Outgoing), "every SMTP server is shown, fallbacks after")
		wantList := acct.Outgoing
		if apple {
			wantList = acct.AppleOutgoing
		}
		for i, s := range wantList {
			assert.Equal(t, []any{s.Host, s.Port}, []any{v.Outgoing[i].Host, v.Outgoing[i].Port}, "wizard SMTP list in the model's order")
		}
		if acct.HasPOP3Alternative() {
			require.NotNil(t, v.POP3, "POP3 beside IMAP")
			assert.Equal(t, []any{acct.POP3Alternative.Host, acct.POP3Alternative.Port}, []any{v.POP3.Host, v.POP3.Port})
		} else {
			assert.Nil(t, v.POP3, "no POP3 alternative")
		}
		if wantOut.Username != in.Username {
			assert.Equal(t, wantOut.Username, v.OutgoingUsername)
		}
	}
}
