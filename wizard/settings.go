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

func newAccountView(a autoconfig.Account) accountView {
	v := accountView{Address: a.Address.String(), Provider: a.Provider.DisplayName}
	imap, hasIMAP := a.FirstIncoming(autoconfig.IMAP)
	pop3, hasPOP3 := a.FirstIncoming(autoconfig.POP3)
	switch {
	case hasIMAP:
		v.Incoming = newServerView(imap, 0)
		if hasPOP3 {
			p := newServerView(pop3, 0)
			v.POP3 = &p
		}
	case hasPOP3:
		v.Incoming = newServerView(pop3, 0)
	}
	i := 0
	for _, s := range a.Outgoing {
		if s.Protocol == autoconfig.SMTP {
			v.Outgoing = append(v.Outgoing, newServerView(s, i))
			i++
		}
	}
	incoming, _ := a.FirstIncoming(autoconfig.Protocol(strings.ToLower(v.Incoming.Protocol)))
	v.Username = incoming.Username
	v.UsernameIsAddress = v.Username == a.Address.String()
	for _, s := range a.Outgoing {
		if s.Protocol == autoconfig.SMTP && s.Username != v.Username {
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
