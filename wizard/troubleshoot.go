package wizard

import (
	"strconv"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// troubleView is the troubleshooting section of a client page or of the
// sheet, adapted to the provider's policy and servers and worded with the
// client's own field labels. Every text is translated here: the template
// only lays it out.
type troubleView struct {
	// Username is what the app must show as the username.
	Username string
	// Incoming and Outgoing are the fields to correct when the app found
	// other settings, labelled as the client labels them.
	Incoming, Outgoing []fieldView
	// Fallback is the alternative SMTP server, nil when there is none;
	// FallbackText introduces it (it names the blocked port).
	Fallback     []fieldView
	FallbackText string
	// Cloud: the client syncs through Microsoft's cloud; Alternatives are
	// the clients that connect directly.
	Cloud        bool
	Alternatives []clientChoice
	// Unverified: the client installs an Apple profile, served unsigned.
	Unverified bool
	Host       string // this service's host, to say where a profile comes from
	// Where is where the client keeps the password (after a change).
	Where string
}

// fieldView is one field of a mail app: its label there and the value.
type fieldView struct{ Label, Value string }

// labelFor returns the client's word for a field or a security choice,
// or the generic one (labels.default.*) when the client has none of its own.
func (w *Wizard) labelFor(lang, set, field string) string {
	key := "labels." + set + "." + field
	if _, ok := w.cats[fallbackLang][key]; !ok {
		key = "labels.default." + field
	}
	return w.cats.translate(lang, key)
}

// serverFields are the server, port and security fields of s as the
// client names them.
func (w *Wizard) serverFields(lang, set, role string, s autoconfig.Server) []fieldView {
	return []fieldView{
		{Label: w.labelFor(lang, set, role+".server"), Value: s.Host},
		{Label: w.labelFor(lang, set, role+".port"), Value: strconv.Itoa(s.Port)},
		{Label: w.labelFor(lang, set, role+".security"), Value: w.labelFor(lang, set, "security."+string(s.Security))},
	}
}

// newTroubleView builds the section for cl, or for every client (the
// sheet) when cl is nil; base is this service's absolute base URL.
func (w *Wizard) newTroubleView(acct autoconfig.Account, cl *App, l links, base string) *troubleView {
	set, whereKey := "default", "ts.where.sheet"
	if cl != nil {
		set, whereKey = cl.labels, "ts.where."+cl.ID
	}
	v := &troubleView{
		Host:       hostOf(base),
		Username:   acct.PreferredIncoming().Username,
		Where:      w.cats.translate(l.lang, whereKey),
		Cloud:      cl == nil || cl.cloud,
		Unverified: !w.profilesSigned && (cl == nil || cl.Profile()),
	}
	w.fillServers(v, acct, cl, l.lang, set)
	if v.Cloud {
		v.Alternatives = directAlternatives(cl, l, base)
	}
	return v
}

// fillServers sets the fields to correct and the SMTP fallback, in the
// Resolver's order. An Apple profile installs its one SMTP server: the
// others are what to change it to by hand.
func (w *Wizard) fillServers(v *troubleView, acct autoconfig.Account, cl *App, lang, set string) {
	v.Incoming = w.serverFields(lang, set, "incoming", acct.PreferredIncoming())
	smtp := acct.Outgoing
	if cl != nil && cl.Profile() {
		smtp = acct.AppleOutgoing
	}
	v.Outgoing = w.serverFields(lang, set, "outgoing", smtp[0])
	// The first alternative on another port: networks block ports, not hosts.
	for _, s := range smtp[1:] {
		if s.Port != smtp[0].Port {
			v.Fallback = w.serverFields(lang, set, "outgoing", s)
			v.FallbackText = w.cats.translate(lang, "ts.send.fallback", smtp[0].Port)
			return
		}
	}
}

// directAlternatives are the apps that connect to the provider themselves,
// on the same kind of device as cl (a computer for the sheet), with the
// short link that paper prints.
func directAlternatives(cl *App, l links, base string) []clientChoice {
	direct := []string{"outlook-classic", "thunderbird", "emclient"}
	if cl != nil && cl.Mobile {
		direct = []string{"apple-ios", "android", "thunderbird"}
	}
	out := make([]clientChoice, 0, len(direct))
	for _, id := range direct {
		alt, _ := clientByID(id)
		short := links{base: base, email: l.email, name: l.name}.Short(id)
		out = append(out, clientChoice{NameKey: alt.NameKey(), URL: l.Client(id), PrintURL: displayLink(short)})
	}
	return out
}
