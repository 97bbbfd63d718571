package wizard

import (
	"slices"
	"strconv"
	"strings"
)

// setupKind is how a client gets its settings.
type setupKind int

const (
	// setupManual: the user types the values of the settings table.
	setupManual setupKind = iota
	// setupProfile: an Apple configuration profile carries the settings.
	setupProfile
	// setupAutomatic: the client looks the settings up by itself
	// (Thunderbird autoconfig, Outlook Autodiscover); the table is the fallback.
	setupAutomatic
)

// App is one entry of the device and client list: a mail app on a device.
type App struct {
	ID    string
	Setup setupKind
	// Mobile clients run on a phone or tablet: their desktop page offers a
	// QR code to continue on the phone.
	Mobile bool
	steps  int
	// labels names the client's own words for the server fields and the
	// security choices (catalog keys labels.<labels>.*): troubleshooting
	// tells users what to change in the words their app shows.
	labels string
	// cloud: the client syncs accounts of other providers through
	// Microsoft's cloud (the new Outlook for Windows, Outlook mobile).
	cloud bool
	// importCode: the client's Android app imports an account from a QR
	// code (Thunderbird for Android, tbimport), shown on its page.
	importCode bool
	// dav names how the client adds CalDAV/CardDAV accounts (catalog key
	// dav.how.<dav>); "" when it cannot, and its page has no such section.
	dav string
	// downloadStep and installStep, for Apple profiles, number the step
	// that downloads the profile (its button goes there) and the step
	// whose screen shows an unsigned profile as "Not Verified" in red
	// (explained right there); 0 for other clients.
	downloadStep, installStep int
	// asciiAddress: the client refuses a Unicode domain in its address
	// field (Thunderbird 153: "jane@bücher.ch" is not a valid address), so
	// its steps give the ASCII form (jane@xn--bcher-kva.ch) to type.
	asciiAddress bool
	// ownFallback: the client's last step already says what to do when
	// it finds nothing, so the page does not say it a second time.
	ownFallback bool
}

// NameKey is the catalog key of the client's name.
func (c App) NameKey() string { return "client." + c.ID + ".name" }

// StepKeys are the catalog keys of the client's numbered steps, in order.
func (c App) StepKeys() []string {
	keys := make([]string, c.steps)
	for i := range keys {
		keys[i] = "steps." + c.ID + "." + strconv.Itoa(i+1)
	}
	return keys
}

// Automatic reports whether the client finds the settings by itself.
func (c App) Automatic() bool { return c.Setup == setupAutomatic }

// FallbackNote reports whether the page adds, after the steps, what to do
// when the client does not find the settings by itself.
func (c App) FallbackNote() bool { return c.Automatic() && !c.ownFallback }

// Profile reports whether the client is set up with an Apple profile.
func (c App) Profile() bool { return c.Setup == setupProfile }

// clients is the seed's list of guides, in its order, with classic Outlook
// and eM Client added, then "another client".
var clients = []App{
	// The new Outlook for Windows adds IMAP accounts through Microsoft's
	// cloud (learn.microsoft.com: "Outlook for Windows: The Future of Mail").
	{ID: "outlook-windows", Setup: setupAutomatic, steps: 4, labels: "outlook-windows", cloud: true},
	{ID: "outlook-classic", Setup: setupAutomatic, steps: 4, labels: "outlook-classic"},
	{ID: "outlook-mac", Setup: setupAutomatic, steps: 4, labels: "outlook-mac"},
	{ID: "apple-mac", Setup: setupProfile, steps: 5, labels: "apple", dav: "apple", downloadStep: 1, installStep: 3},
	{ID: "apple-ios", Setup: setupProfile, Mobile: true, steps: 5, labels: "apple", dav: "apple", downloadStep: 1, installStep: 3},
	// Android's mail apps sync no calendars: DAVx⁵ adds them to the system.
	{ID: "android", Setup: setupManual, Mobile: true, steps: 4, labels: "android", dav: "davx5"},
	// Outlook for iOS/Android does not read Autodiscover for IMAP accounts:
	// it asks for the values, and syncs them through Microsoft's cloud.
	{ID: "outlook-mobile", Setup: setupManual, Mobile: true, steps: 4, labels: "outlook-mobile", cloud: true},
	{ID: "gmail", Setup: setupManual, Mobile: true, steps: 4, labels: "gmail"},
	{ID: "thunderbird", Setup: setupAutomatic, Mobile: true, steps: 4, labels: "thunderbird", importCode: true, dav: "thunderbird", ownFallback: true, asciiAddress: true},
	// eM Client reads Autodiscover and Thunderbird's autoconfig.
	{ID: "emclient", Setup: setupAutomatic, steps: 4, labels: "emclient", dav: "emclient", ownFallback: true},
	{ID: "other", Setup: setupManual, steps: 4, labels: "default", dav: "other"},
}

func clientByID(id string) (App, bool) {
	for _, c := range clients {
		if c.ID == id {
			return c, true
		}
	}
	return App{}, false
}

// guessClient names the client most likely wanted on the device that sent
// userAgent, or "" when the User-Agent says nothing useful.
func guessClient(userAgent string) string {
	switch {
	case containsAny(userAgent, "iPhone", "iPad", "iPod"):
		return "apple-ios"
	case strings.Contains(userAgent, "Android"):
		return "android"
	case containsAny(userAgent, "Macintosh", "Mac OS X"):
		return "apple-mac"
	case strings.Contains(userAgent, "Windows"):
		return "outlook-windows"
	case containsAny(userAgent, "Linux", "X11", "CrOS"):
		return "thunderbird"
	}
	return ""
}

// alsoSuggested is a second client worth suggesting for userAgent: iPadOS
// Safari presents itself as a Mac by default (the "Request Desktop
// Website" setting, on for iPads since iPadOS 13), and a page without
// script cannot tell, so a "Mac" is offered Apple Mail for iPadOS too.
func alsoSuggested(userAgent string) string {
	if guessClient(userAgent) == "apple-mac" {
		return "apple-ios"
	}
	return ""
}

// isPhone reports whether userAgent is a phone or tablet browser, where a QR
// code to move to a phone makes no sense.
func isPhone(userAgent string) bool {
	return containsAny(userAgent, "iPhone", "iPad", "iPod", "Android", "Mobile")
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// orderedClients is the client list with the guessed clients first, in
// the order given.
func orderedClients(guesses ...string) []App {
	out := make([]App, 0, len(clients))
	for _, g := range guesses {
		if c, ok := clientByID(g); ok {
			out = append(out, c)
		}
	}
	for _, c := range clients {
		if !slices.Contains(guesses, c.ID) {
			out = append(out, c)
		}
	}
	return out
}
