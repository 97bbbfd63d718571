package main

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// checkISPDB accepts an absolute http(s) URL ending in "/" (the domain is
// appended to it), or "" for the default.
func checkISPDB(flag, raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || !strings.HasSuffix(u.Path, "/") {
		return fmt.Errorf("%s %q: want an absolute http(s) URL ending in /, like %s", flag, raw, autoconfig.DefaultISPDB)
	}
	return nil
}

// writeReport prints the report for a person: what each client finds,
// the findings by fault, then one line per record and document.
func writeReport(w io.Writer, rep autoconfig.Report) {
	fmt.Fprintf(w, "Checking %s (provider %s, resolver %s)\n\n", rep.Domain, rep.Provider, rep.Resolver)
	writeClients(w, rep.Clients)
	writeFindings(w, rep.Findings)
	writeRecords(w, rep)
	fmt.Fprintln(w)
	if rep.OK {
		fmt.Fprintln(w, "OK: everything is published as it should be.")
		return
	}
	fmt.Fprintln(w, autoconfig.CheckTexts["verdict."+string(rep.Verdict)])
}

// writeClients is the per-client table: what each client ends up with and
// where it took it from, with its notes below.
func writeClients(w io.Writer, clients []autoconfig.ClientResult) {
	fmt.Fprintln(w, "What each client finds:")
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  CLIENT\tFINDS\tSETTINGS\tFROM")
	for _, c := range clients {
		settings := "-"
		if c.Found != nil {
			settings = c.Found.String()
		}
		source := c.Source
		if source == "" {
			source = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", autoconfig.CheckTexts["client."+string(c.Client)],
			autoconfig.CheckTexts["outcome."+string(c.Outcome)], settings, source)
	}
	tw.Flush()
	for _, c := range clients {
		for _, n := range c.Notes {
			fmt.Fprintf(w, "  %s: %s\n", autoconfig.CheckTexts["client."+string(c.Client)], n.Text())
		}
	}
}

// faultOrder lists findings by whose they are: ours first, the domain
// owner's required ones before the recommended ones.
var faultOrder = []struct {
	fault    autoconfig.Fault
	required bool
	title    string
}{
	{autoconfig.FaultOurs, false, "Ours (our resolver, our service or certificate)"},
	{autoconfig.FaultOwner, true, "The domain owner's, required for mail to work"},
	{autoconfig.FaultOwner, false, "The domain owner's, recommended for automatic setup"},
	{autoconfig.FaultThirdParty, false, "A third party's (public database)"},
	{autoconfig.FaultInfo, false, "Information"},
}

func writeFindings(w io.Writer, findings []autoconfig.Finding) {
	fmt.Fprintln(w, "\nFindings:")
	if len(findings) == 0 {
		fmt.Fprintln(w, "  none")
		return
	}
	for _, group := range faultOrder {
		first := true
		for _, f := range findings {
			if f.Fault != group.fault || (f.Fault == autoconfig.FaultOwner && f.Required != group.required) {
				continue
			}
			if first {
				fmt.Fprintf(w, "  %s:\n", group.title)
				first = false
			}
			line := "    - " + f.Message()
			if len(f.Clients) > 0 {
				names := make([]string, len(f.Clients))
				for i, c := range f.Clients {
					names[i] = autoconfig.CheckTexts["client."+string(c)]
				}
				line += " (affects " + strings.Join(names, ", ") + ")"
			}
			fmt.Fprintln(w, line)
		}
	}
}

func writeRecords(w io.Writer, rep autoconfig.Report) {
	fmt.Fprintln(w, "\nDNS records:")
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, r := range rep.Records {
		line := fmt.Sprintf("  %s\t%s\t%s\t%s", r.Status, r.Type, r.Name, strings.Join(r.Want, ", "))
		switch r.Status {
		case autoconfig.CheckWrong:
			line += "\t(found " + strings.Join(r.Found, ", ") + ")"
		case autoconfig.CheckMissing:
			line += "\t(not published)"
		case autoconfig.CheckError:
			line += "\t(" + r.Detail + ")"
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nHTTPS documents:")
	tw = tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, e := range rep.Endpoints {
		line := fmt.Sprintf("  %s\t%s\t%s", e.Status, e.Name, e.URL)
		if e.Detail != "" {
			line += "\t(" + e.Detail + ")"
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
}
