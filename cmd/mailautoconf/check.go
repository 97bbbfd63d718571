package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnscheck"
	"github.com/mailautoconf/mailautoconf/autoconfig/mxlookup"
	"github.com/mailautoconf/mailautoconf/wizard"
)

func init() {
	commands["check"] = command{
		summary: "validate a configuration file, or check a domain's DNS and documents live",
		run:     runCheck,
	}
}

// newChecker builds the live checker; tests replace it to trust a test CA
// and reach loopback servers.
var newChecker = func(resolver string) *dnscheck.Checker {
	return &dnscheck.Checker{Resolver: resolver}
}

// The helpdesk's live check runs inside a request: each DNS query and HTTPS
// fetch gets dnsCheckStepTimeout, and the whole check dnsCheckBudget, well
// within the default --write-timeout (30 s). Steps left when the budget is
// spent are reported as errors at once.
const (
	dnsCheckStepTimeout = 3 * time.Second
	dnsCheckBudget      = 10 * time.Second
)

// newDNSCheck is the helpdesk's live check of a domain: the checker of
// `check DOMAIN`, asking the server's resolver, against the service host of
// the configuration in force.
func newDNSCheck(resolver string, store *autoconfig.Store) wizard.DNSCheckFunc {
	checker := newChecker(resolver)
	checker.Timeout = dnsCheckStepTimeout
	return func(ctx context.Context, d autoconfig.Domain) dnscheck.Report {
		ctx, cancel := context.WithTimeout(ctx, dnsCheckBudget)
		defer cancel()
		return checker.Check(ctx, d, store.Config().ServiceHost)
	}
}

const checkSynopsis = "check --config FILE\n       mailautoconf check DOMAIN [--config FILE] [--provider ID] [--resolver HOST:PORT] [--json]"

func runCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check", checkSynopsis, stderr)
	configPath := fs.String("config", "", "configuration file (required without DOMAIN; default with DOMAIN: the embedded default)")
	providerID := fs.String("provider", "", "with DOMAIN: provider id, for a domain the configuration does not list (accept.mx)")
	resolver := fs.String("resolver", "", "with DOMAIN: DNS server to ask, HOST:PORT (default: the first nameserver of /etc/resolv.conf)")
	asJSON := fs.Bool("json", false, "with DOMAIN: print the report as JSON")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(positional) == 0 {
		if *configPath == "" {
			fmt.Fprintln(stderr, "check needs --config FILE or a DOMAIN")
			fs.Usage()
			return errUsage
		}
		return checkConfigFile(*configPath, stdout, stderr)
	}
	domain, err := oneDomain(fs, positional)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	p, err := providerFor(cfg, domain, *providerID)
	if err != nil {
		return err
	}
	if *resolver == "" {
		if *resolver, err = mxlookup.SystemResolver(); err != nil {
			return fmt.Errorf("finding a DNS resolver (pass --resolver HOST:PORT): %w", err)
		}
	} else if err := checkHostPort(*resolver); err != nil {
		return fmt.Errorf("--resolver: %w", err)
	}
	rep := newChecker(*resolver).Check(context.Background(), autoconfig.NewDomain(p, domain), cfg.ServiceHost)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		writeReport(stdout, rep)
	}
	if !rep.OK {
		return exitError{code: 1}
	}
	return nil
}

func checkConfigFile(path string, stdout, stderr io.Writer) error {
	cfg, err := autoconfig.LoadFile(path)
	var problems autoconfig.ConfigErrors
	if errors.As(err, &problems) {
		for _, p := range problems {
			fmt.Fprintln(stderr, p.Error())
		}
		fmt.Fprintf(stderr, "%d problem(s) found\n", len(problems))
		return exitError{code: 1}
	}
	if err != nil {
		return err
	}
	domains := 0
	for _, p := range cfg.Providers {
		domains += len(p.Domains)
	}
	fmt.Fprintf(stdout, "%s: OK: %d provider(s), %d domain(s)", path, len(cfg.Providers), domains)
	if cfg.CatchAll != nil {
		fmt.Fprintf(stdout, ", any other domain served by %s", cfg.CatchAll.ID)
	}
	fmt.Fprintln(stdout)
	return nil
}

// writeReport prints the report for a person: one line per record and
// endpoint, with what was found when it is not what it should be.
func writeReport(w io.Writer, rep dnscheck.Report) {
	fmt.Fprintf(w, "Checking %s (provider %s, resolver %s)\n\nDNS records:\n", rep.Domain, rep.Provider, rep.Resolver)
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, r := range rep.Records {
		line := fmt.Sprintf("  %s\t%s\t%s\t%s", r.Status, r.Type, r.Name, strings.Join(r.Want, ", "))
		switch r.Status {
		case dnscheck.CheckWrong:
			line += "\t(found " + strings.Join(r.Found, ", ") + ")"
		case dnscheck.CheckMissing:
			line += "\t(not published)"
		case dnscheck.CheckError:
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
	if rep.OK {
		fmt.Fprintln(w, "\nOK: everything is published as it should be.")
	} else {
		fmt.Fprintf(w, "\n%d problem(s) found.\n", rep.Problems())
	}
}
