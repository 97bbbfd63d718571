package wizard

import (
	"html/template"
	"net/url"
	"strconv"
	"strings"
)

// instructionsMailto is the helpdesk's "send these instructions" link: a
// mailto: to the user with the links and the settings in lang, and never a
// password (the body says where the password goes instead). RFC 6068
// encodes a space as %20: a mail program may show a "+" as it is.
func (w *Wizard) instructionsMailto(v accountView, view *helpdeskView, lang string) template.URL {
	tr := func(key string, args ...any) string { return w.cats.translate(lang, key, args...) }
	server := func(s serverView) string {
		return s.Host + ", " + tr("settings.port") + " " + strconv.Itoa(s.Port) + ", " + tr(s.SecurityKey)
	}
	lines := []string{
		tr("helpdesk.mail.intro", v.Address),
		"",
		tr("helpdesk.choose") + ": " + view.ChooseURL,
		tr("helpdesk.profile") + ": " + view.ProfileURL,
		tr("helpdesk.sheet") + ": " + view.SheetURL,
		"",
		tr("settings.title"),
		tr("settings.incoming", v.Incoming.Protocol) + ": " + server(v.Incoming),
		tr("settings.outgoing") + ": " + server(v.Outgoing[0]),
		tr("settings.username") + ": " + v.Username,
		"",
		tr("helpdesk.mail.password"),
	}
	q := "subject=" + mailtoEscape(tr("helpdesk.mail.subject", v.Address)) + "&body=" + mailtoEscape(strings.Join(lines, "\r\n"))
	// #nosec G203 -- every part is escaped: the address by PathEscape, the
	// rest by mailtoEscape.
	return template.URL("mailto:" + url.PathEscape(v.Address) + "?" + q)
}

// mailtoEscape escapes a mailto: header value (RFC 6068 §2).
func mailtoEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
