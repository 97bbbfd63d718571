package wizard

import (
	"strconv"
	"strings"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/tbimport"
	"github.com/mailautoconf/mailautoconf/profiles"
)

// tbImportView is the "Thunderbird for Android" section: the code that
// the app imports as an account (ThunderbirdQRPath), its steps, and a
// link to type for those who cannot scan.
type tbImportView struct {
	ImageURL string
	Steps    []string
	// Link is the Thunderbird page's short link (/s/thunderbird/ADDRESS):
	// typed on the phone it opens these steps there, where Thunderbird for
	// Android finds the settings from the address alone (autoconfig), so
	// nobody who cannot scan is left with values to type. LinkParts are
	// its text as typed (linkParts), where the line may break.
	Link      string
	LinkParts []string
}

// tbImportSteps is how many steps the section has (tbimport.step.N).
const tbImportSteps = 4

// newTBImportView is the section for acct, or nil when tbimport refuses
// the account (an address the app cannot hold, a server without TLS): the
// page then shows no code rather than one the app would refuse, as the
// image route answers 422. l.base must be set: the link is typed by hand.
func (w *Wizard) newTBImportView(acct autoconfig.Account, l links, device bool) *tbImportView {
	// The image route reads the name with profiles.ParseName: decide on
	// the same name, so that the page never shows a code the route refuses.
	name, err := profiles.ParseName(acct.DisplayName)
	if err != nil {
		return nil
	}
	acct.DisplayName = name
	if _, err := tbimport.Payload(acct); err != nil {
		return nil
	}
	phrase := w.passwordPhrase(l.lang, device)
	v := &tbImportView{ImageURL: links{email: l.email, name: l.name}.ThunderbirdQR(), Link: l.Short("thunderbird")}
	for i := 1; i <= tbImportSteps; i++ {
		v.Steps = append(v.Steps, w.cats.translate(l.lang, "tbimport.step."+strconv.Itoa(i), acct.Address.String(), phrase))
	}
	v.LinkParts = linkParts(v.Link)
	return v
}

// linkParts is a link's text as people type it (displayLink), cut at each
// "/" after the host, where a line may break: never inside "http://" or a
// word.
func linkParts(link string) []string {
	text := displayLink(link)
	scheme, rest, ok := strings.Cut(text, "://")
	if !ok {
		return strings.Split(text, "/")
	}
	parts := strings.Split(rest, "/")
	parts[0] = scheme + "://" + parts[0]
	return parts
}
