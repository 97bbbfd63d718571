package wizard

import (
	"strings"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// accountView is what the settings table shows, derived from the resolved
// Account only: no template holds a host, port or security value.
type accountView struct {
	Address  string
	Provider string
	Incoming serverView   // IMAP, or POP3 when the provider has no IMAP
	Outgoing []serverView // the preferred SMTP server, then the fallbacks
	// POP3 is the discouraged alternative, shown folded; nil when there is
	// none or when it is already the incoming server.
	POP3              *serverView
	Username          string // of the incoming server
	UsernameIsAddress bool
	// OutgoingUsername is the SMTP servers' username when the provider's
	// differs from the incoming one (a template such as %EMAILLOCALPART%);
	// empty when it is the same, as it is for nearly every provider.
	OutgoingUsername string
}

// serverView is one row of the settings table.
type serverView struct {
	Protocol    string // IMAP, POP3, SMTP
	Host        string
	Port        int
	SecurityKey string // catalog key of the security label
	RoleKey     string // catalog key: recommended or fallback
}

// newAccountView shows a's decisions. A page about an Apple profile shows
// the one SMTP server the profile installs as the recommended one, so that
// the page and the profile agree.
func newAccountView(a autoconfig.Account, appleProfile bool) accountView {
	v := accountView{Address: a.Address.String(), Provider: a.Provider.DisplayName}
	in := a.PreferredIncoming()
	v.Incoming = newServerView(in, 0)
	if a.HasPOP3Alternative() {
		p := newServerView(a.POP3Alternative, 0)
		v.POP3 = &p
	}
	outgoing := a.Outgoing
	if appleProfile {
		outgoing = a.AppleOutgoing
	}
	for i, s := range outgoing {
		v.Outgoing = append(v.Outgoing, newServerView(s, i))
	}
	v.Username = in.Username
	v.UsernameIsAddress = v.Username == a.LoginAddress()
	for _, s := range outgoing {
		if s.Username != v.Username {
			v.OutgoingUsername = s.Username
			break
		}
	}
	return v
}

func newServerView(s autoconfig.Server, rank int) serverView {
	role := "settings.role.recommended"
	if rank > 0 {
		role = "settings.role.fallback"
	}
	return serverView{
		Protocol:    strings.ToUpper(string(s.Protocol)),
		Host:        s.Host,
		Port:        s.Port,
		SecurityKey: "security." + string(s.Security),
		RoleKey:     role,
	}
}
