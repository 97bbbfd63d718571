package wizard

import (
	"strings"

	"github.com/mailautoconf/mailautoconf/autoconfig/dnscheck"
	"github.com/mailautoconf/mailautoconf/templates"
)

// dnsClientRow is one client's line: what it finds and where from.
type dnsClientRow struct {
	Name     string
	Outcome  string // ours, other, nothing, unchecked, profile: the CSS class
	Finds    string // translated outcome
	Settings string // "imap host:993 tls, smtp host:587 starttls", or empty
	Source   string
	Notes    []string
}

// dnsFindingGroup is the findings of one party, required ones apart.
type dnsFindingGroup struct {
	Fault string // the CSS class
	Title string
	Items []dnsFindingItem
}

type dnsFindingItem struct {
	Text    string
	Clients string // translated names of the clients it affects, or empty
}

// checkText translates a checker text with its arguments.
func (w *Wizard) checkText(lang, key string, args []string) string {
	return dnscheck.Translate(templates.Catalogs(w.cats), lang, key, args...)
}

// checkTexts translates checker texts without arguments into one
// paragraph (a verdict and what it adds).
func (w *Wizard) checkTexts(lang string, keys []string) string {
	texts := make([]string, len(keys))
	for i, k := range keys {
		texts[i] = w.checkText(lang, k, nil)
	}
	return strings.Join(texts, " ")
}

// addClientsAndFindings fills the view's per-client table, findings and
// the sentences of the verdict.
func (w *Wizard) addClientsAndFindings(view *dnsCheckView, lang string, rep dnscheck.Report) {
	verdict := string(rep.Verdict)
	if verdict == "" {
		verdict = string(dnscheck.VerdictOK)
	}
	view.Verdict = verdict
	view.VerdictText = w.checkTexts(lang, rep.VerdictKeys())
	view.Say = w.checkTexts(lang, rep.SayKeys())
	for _, c := range rep.Clients {
		row := dnsClientRow{
			Name: w.checkText(lang, "client."+string(c.Client), nil), Outcome: string(c.Outcome),
			Finds: w.checkText(lang, "outcome."+string(c.Outcome), nil), Source: c.Source,
		}
		if c.Found != nil {
			row.Settings = c.Found.String()
		}
		for _, n := range c.Notes {
			row.Notes = append(row.Notes, w.checkText(lang, "note."+n.Key, n.Args))
		}
		view.Clients = append(view.Clients, row)
	}
	for _, g := range rep.GroupedFindings() {
		group := dnsFindingGroup{Fault: string(g.Fault), Title: w.checkText(lang, "group."+g.Key, nil)}
		for _, f := range g.Findings {
			item := dnsFindingItem{Text: w.checkText(lang, "finding."+f.Code, f.Args)}
			var names []string
			for _, c := range f.Clients {
				names = append(names, w.checkText(lang, "client."+string(c), nil))
			}
			if len(names) > 0 {
				item.Clients = w.cats.translate(lang, "helpdesk.check.affects", strings.Join(names, ", "))
			}
			group.Items = append(group.Items, item)
		}
		view.Findings = append(view.Findings, group)
	}
}
