package wizard

import (
	"slices"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/profiles"
)

// davView is the "Calendars and contacts" section: the provider's CalDAV
// and CardDAV addresses and login, as the Resolver decided them
// (acct.CalDAV, acct.CardDAV), with how the page's client adds them.
type davView struct {
	// How says where the client adds calendars and contacts; on the
	// sheet, which is for every client, what any CalDAV/CardDAV app needs.
	How string
	// ProfileURL, for Apple clients, is the profile with mail, calendars
	// and contacts: it installs under the mail profile's identifier, so it
	// replaces a mail-only profile instead of adding a second account.
	// The page asks for it with the download form of the profile step:
	// ProfilePath with Include (its include list) ticked beside the button.
	ProfileURL  string
	ProfilePath string
	Include     string
	Fields      []fieldView
}

// newDAVView is the section for cl (nil: the sheet), or nil when the
// provider has neither CalDAV nor CardDAV or cl cannot add them.
func (w *Wizard) newDAVView(acct autoconfig.Account, cl *App, l links, device bool) *davView {
	cal, card := acct.CalDAV, acct.CardDAV
	if !cal.Offered() && !card.Offered() {
		return nil
	}
	howKey := "dav.how.sheet"
	if cl != nil {
		if cl.dav == "" {
			return nil
		}
		howKey = "dav.how." + cl.dav
	}
	// {1} names the password by the provider's policy, as in the steps.
	v := &davView{How: w.cats.translate(l.lang, howKey, acct.Address.String(), w.passwordPhrase(l.lang, device))}
	var users []string
	for _, ep := range []struct {
		endpoint autoconfig.DAVEndpoint
		label    string
	}{{cal, "dav.caldav"}, {card, "dav.carddav"}} {
		if !ep.endpoint.Offered() {
			continue
		}
		v.Fields = append(v.Fields, fieldView{Label: w.cats.translate(l.lang, ep.label), Value: ep.endpoint.URL})
		if !slices.Contains(users, ep.endpoint.Username) {
			users = append(users, ep.endpoint.Username)
		}
	}
	// Every client in the list logs in to both with one name; should a
	// provider's differ, each is shown after its address's label.
	if len(users) == 1 {
		v.Fields = append(v.Fields, fieldView{Label: w.cats.translate(l.lang, "dav.username"), Value: users[0]})
	} else {
		v.Fields = append(v.Fields,
			fieldView{Label: w.cats.translate(l.lang, "dav.username.caldav"), Value: cal.Username},
			fieldView{Label: w.cats.translate(l.lang, "dav.username.carddav"), Value: card.Username})
	}
	if cl != nil && cl.Profile() {
		v.Include = fullInclude(acct).String()
		v.ProfileURL, v.ProfilePath = l.FullProfile(acct), profiles.DownloadPath
	}
	return v
}
