package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnsrecords"
	"github.com/mailautoconf/mailautoconf/autoconfig/pacc"
)

func runDNS(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("dns", "dns DOMAIN [--config FILE] [--provider ID | --resolver HOST:PORT] [--format zone|json|domainconnect] [--pacc-state FILE]\n       mailautoconf dns --provider ID --format domainconnect [--config FILE]", stderr)
	cf := addConfigFlags(fs)
	format := fs.String("format", "zone", "output format: zone (BIND zone-file fragment), json, or domainconnect (the provider's Domain Connect template; with --provider, no DOMAIN is needed)")
	statePath := fs.String("pacc-state", "", "the service's --pacc-state file: prints the previous PACC digests still valid too")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *format != "zone" && *format != "json" && *format != "domainconnect" {
		fmt.Fprintln(stderr, "--format must be zone, json or domainconnect")
		return errUsage
	}
	// A template is the provider's, for every domain: --provider names it.
	templateOnly := *format == "domainconnect" && *cf.provider != "" && len(positional) == 0
	domain := ""
	if !templateOnly {
		if domain, err = oneDomain(fs, positional); err != nil {
			return err
		}
	}
	if err := cf.checkResolver(); err != nil {
		return err
	}
	cfg, err := cf.load(stderr)
	if err != nil {
		return err
	}
	p, err := cf.providerFor(cfg, domain, *cf.resolver)
	if err != nil {
		return err
	}
	if cfg.ServiceHost == "" {
		fmt.Fprintln(stderr, "note: the configuration sets no service_host: the CNAME and _autodiscover._tcp records are left out")
	}
	if *format == "domainconnect" {
		return writeTemplate(stdout, stderr, p, cfg.ServiceHost, domain)
	}
	d := autoconfig.NewDomain(p, domain)
	previous, err := previousPACC(*statePath, p.ID)
	if err != nil {
		return err
	}
	records := dnsrecords.ForDomain(d, cfg.ServiceHost, previous...)
	if _, err := pacc.Render(d); err != nil {
		fmt.Fprintf(stderr, "note: no %s TXT record (PACC digest): %s\n", pacc.Label, err)
	}
	if *format == "json" {
		return writeJSON(stdout, records)
	}
	_, err = stdout.Write(dnsrecords.ZoneFile(domain, records))
	return err
}

// previousPACC are the provider's previous PACC documents still valid, as
// the service's state file at path records them ("": none).
func previousPACC(path, providerID string) ([]pacc.Generation, error) {
	if path == "" {
		return nil, nil
	}
	h, err := pacc.LoadHistory(path, 0)
	if err != nil {
		return nil, err
	}
	return h.Previous(providerID, time.Now()), nil
}

// writeTemplate prints p's Domain Connect template and, for a domain, the
// values of its variables there.
func writeTemplate(stdout, stderr io.Writer, p *autoconfig.Provider, serviceHost, domain string) error {
	t, err := dnsrecords.DomainConnect(p, serviceHost)
	if err != nil {
		return err
	}
	if domain != "" {
		for name, value := range dnsrecords.Variables(autoconfig.NewDomain(p, domain)) {
			fmt.Fprintf(stderr, "note: apply to %s with %s=%s\n", domain, name, value)
		}
	}
	return writeJSON(stdout, t)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// oneDomain checks that exactly one DOMAIN was given and returns it in
// ASCII.
func oneDomain(fs *flag.FlagSet, positional []string) (string, error) {
	if len(positional) != 1 {
		fmt.Fprintln(fs.Output(), "exactly one DOMAIN is required")
		fs.Usage()
		return "", errUsage
	}
	domain, err := autoconfig.NormalizeDomain(positional[0])
	if err != nil {
		return "", errors.New("the DOMAIN argument is not a domain name")
	}
	return domain, nil
}
