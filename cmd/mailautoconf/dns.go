package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnsrecords"
	"github.com/mailautoconf/mailautoconf/autoconfig/pacc"
)

func runDNS(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("dns", "dns DOMAIN [--config FILE] [--provider ID | --resolver HOST:PORT] [--format zone|json]", stderr)
	cf := addConfigFlags(fs)
	format := fs.String("format", "zone", "output format: zone (BIND zone-file fragment) or json")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	domain, err := oneDomain(fs, positional)
	if err != nil {
		return err
	}
	if *format != "zone" && *format != "json" {
		fmt.Fprintln(stderr, "--format must be zone or json")
		return errUsage
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
	d := autoconfig.NewDomain(p, domain)
	records := dnsrecords.ForDomain(d, cfg.ServiceHost)
	if cfg.ServiceHost == "" {
		fmt.Fprintln(stderr, "note: the configuration sets no service_host: the CNAME and _autodiscover._tcp records are left out")
	}
	if _, err := pacc.Render(d); err != nil {
		fmt.Fprintf(stderr, "note: no %s TXT record (PACC digest): %s\n", pacc.Label, err)
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(records)
	}
	_, err = stdout.Write(dnsrecords.ZoneFile(domain, records))
	return err
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
