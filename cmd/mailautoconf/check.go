package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnscheck"
	"github.com/mailautoconf/mailautoconf/autoconfig/mxlookup"
	"github.com/mailautoconf/mailautoconf/autoconfig/pacc"
	"github.com/mailautoconf/mailautoconf/wizard"
)

// checkOptions are the operator's choices for the live checker.
type checkOptions struct {
	resolver string
	// ispdb is the base URL of the Thunderbird ISP database.
	ispdb string
	// allowInternal lets the checker connect to internal addresses.
	allowInternal bool
	// pacc holds the previous PACC documents still valid (--pacc-state);
	// nil: none.
	pacc *pacc.History
}

// newChecker builds the live checker; tests replace it to trust a test CA
// and reach loopback servers.
var newChecker = func(o checkOptions) *dnscheck.Checker {
	c := &dnscheck.Checker{Resolver: o.resolver, ISPDB: o.ispdb, AllowInternal: o.allowInternal}
	if o.pacc != nil {
		c.PACCPrevious = func(providerID string) []pacc.Generation { return o.pacc.Previous(providerID, time.Now()) }
	}
	return c
}

// The helpdesk's live check runs inside a request: each DNS query and HTTPS
// fetch gets dnsCheckStepTimeout, and the whole check dnsCheckBudget, well
// within the default --write-timeout (30 s). The steps run concurrently;
// those left when the budget is spent are reported at once.
const (
	dnsCheckStepTimeout = 3 * time.Second
	dnsCheckBudget      = 10 * time.Second
)

// newDNSCheck is the helpdesk's live check of a domain: the checker of
// `check DOMAIN`, asking the server's resolver, against the service host of
// the configuration in force.
func newDNSCheck(o checkOptions, store *autoconfig.Store) wizard.DNSCheckFunc {
	checker := newChecker(o)
	checker.Timeout, checker.Deadline = dnsCheckStepTimeout, dnsCheckBudget
	return func(ctx context.Context, d autoconfig.Domain) dnscheck.Report {
		return checker.Check(ctx, d, store.Config().ServiceHost)
	}
}

const checkSynopsis = "check --config FILE\n       mailautoconf check DOMAIN [--config FILE] [--provider ID] [--resolver HOST:PORT] [--ispdb URL] [--allow-internal] [--pacc-state FILE] [--json]"

func runCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check", checkSynopsis, stderr)
	cf := addConfigFlags(fs)
	configPath, resolver := cf.path, cf.resolver
	asJSON := fs.Bool("json", false, "with DOMAIN: print the report as JSON")
	ispdb := fs.String("ispdb", dnscheck.DefaultISPDB, "with DOMAIN: base URL of the Thunderbird ISP database")
	allowInternal := fs.Bool("allow-internal", false, "with DOMAIN: connect to names that resolve to addresses that are not globally reachable (every range of the IANA special-purpose registries: loopback, private, link-local, CGNAT, documentation, reserved…; refused by default)")
	statePath := fs.String("pacc-state", "", "with DOMAIN: the service's --pacc-state file: a previous PACC digest still valid is \"update pending\", not wrong")
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
	if *resolver == "" {
		if *resolver, err = mxlookup.SystemResolver(); err != nil {
			return fmt.Errorf("finding a DNS resolver (pass --resolver HOST:PORT): %w", err)
		}
	} else if err := cf.checkResolver(); err != nil {
		return err
	}
	cfg, err := cf.load(stderr)
	if err != nil {
		return err
	}
	p, err := cf.providerFor(cfg, domain, *resolver)
	if err != nil {
		return err
	}
	if err := checkISPDB("--ispdb", *ispdb); err != nil {
		return err
	}
	opts := checkOptions{resolver: *resolver, ispdb: *ispdb, allowInternal: *allowInternal}
	if *statePath != "" {
		if opts.pacc, err = pacc.LoadHistory(*statePath, 0); err != nil {
			return err
		}
	}
	rep := newChecker(opts).Check(context.Background(), autoconfig.NewDomain(p, domain), cfg.ServiceHost)
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
	for _, w := range cfg.Warnings {
		fmt.Fprintln(stderr, "warning: "+w.Error())
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
