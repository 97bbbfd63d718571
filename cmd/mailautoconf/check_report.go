package main

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/mailautoconf/mailautoconf/autoconfig/dnscheck"
)

// checkISPDB accepts an absolute http(s) URL ending in "/" (the domain is
// appended to it), or "" for the default.
func checkISPDB(flag, raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || !strings.HasSuffix(u.Path, "/") {
		return fmt.Errorf("%s %q: want an absolute http(s) URL ending in /, like %s", flag, raw, dnscheck.DefaultISPDB)
	}
	return nil
}

// writeReport prints the report for a person: what each client finds,
// the findings by fault (in the verdict's order, as the helpdesk
// page lists them), then one line per record and document, then the
// verdict.
func writeReport(w io.Writer, rep dnscheck.Report) {
	fmt.Fprintf(w, "Checking %s (provider %s, resolver %s)\n\n", rep.Domain, rep.Provider, rep.Resolver)
	writeClients(w, rep.Clients)
	writeFindings(w, rep)
	writeRecords(w, rep)
	fmt.Fprintln(w)
	if rep.OK {
		fmt.Fprintln(w, "OK: everything is published as it should be.")
		return
	}
	for _, key := range rep.VerdictKeys() {
		fmt.Fprintln(w, dnscheck.Text(key))
	}
}

// writeClients is the per-client table: what each client ends up with and
// where it took it from, with its notes below.
func writeClients(w io.Writer, clients []dnscheck.ClientResult) {
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
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", dnscheck.Text("client."+string(c.Client)),
			dnscheck.Text("outcome."+string(c.Outcome)), settings, source)
	}
	tw.Flush()
	for _, c := range clients {
		for _, n := range c.Notes {
			fmt.Fprintf(w, "  %s: %s\n", dnscheck.Text("client."+string(c.Client)), n.Text())
		}
	}
}

func writeFindings(w io.Writer, rep dnscheck.Report) {
	fmt.Fprintln(w, "\nFindings:")
	if len(rep.Findings) == 0 {
		fmt.Fprintln(w, "  none")
		return
	}
	for _, group := range rep.GroupedFindings() {
		fmt.Fprintf(w, "  %s:\n", dnscheck.Text("group."+group.Key))
		for _, f := range group.Findings {
			line := "    - " + f.Message()
			if len(f.Clients) > 0 {
				names := make([]string, len(f.Clients))
				for i, c := range f.Clients {
					names[i] = dnscheck.Text("client." + string(c))
				}
				line += " (affects " + strings.Join(names, ", ") + ")"
			}
			fmt.Fprintln(w, line)
		}
	}
}

func writeRecords(w io.Writer, rep dnscheck.Report) {
	fmt.Fprintln(w, "\nDNS records:")
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, r := range rep.Records {
		line := fmt.Sprintf("  %s\t%s\t%s\t%s", r.Status, r.Type, r.Name, strings.Join(r.Want, ", "))
		switch r.Status {
		case dnscheck.CheckWrong:
			line += "\t(found " + strings.Join(r.Found, ", ") + ")"
		case dnscheck.CheckMissing:
			line += "\t(not published)"
		case dnscheck.CheckError, dnscheck.CheckPending:
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
