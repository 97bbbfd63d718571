package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/net/idna"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/autotls"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/metrics"
)

// runCerts is `mailautoconf certs issue|list`.
func runCerts(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stderr, "Usage: mailautoconf certs issue [DOMAIN…|--all-listed] --acme-cache DIR [flags]")
		fmt.Fprintln(stderr, "       mailautoconf certs list --acme-cache DIR")
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	switch args[0] {
	case "issue":
		return runCertsIssue(args[1:], stdout, stderr)
	case "list":
		return runCertsList(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "unknown certs command %q: run 'mailautoconf certs --help'\n", args[0])
	return errUsage
}

func runCertsList(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("certs list", "certs list --acme-cache DIR", stderr)
	storage := fs.String("acme-cache", "", "the certificate storage of the service (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *storage == "" {
		return fmt.Errorf("--acme-cache is required")
	}
	infos, err := autotls.List(*storage, time.Now())
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tISSUER\tEXPIRES\tSTATE")
	for _, i := range infos {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", i.Name, i.Issuer, i.NotAfter.UTC().Format(time.RFC3339), i.State)
	}
	return w.Flush()
}

// runCertsIssue obtains certificates now, into the storage the service
// uses. The challenges are answered by the running service through that
// storage (CertMagic finds the challenge ports in use and leaves them to
// it): run it where the storage is mounted, e.g. in a pod.
func runCertsIssue(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("certs issue", "certs issue [DOMAIN…|--all-listed] --acme-cache DIR [--config FILE] [flags]", stderr)
	configPath := fs.String("config", "", "configuration file (default: the embedded default provider)")
	allListed := fs.Bool("all-listed", false, "every name of every domain the configuration lists, and the service host")
	o := serveOptions{}
	fs.StringVar(&o.acmeCache, "acme-cache", "", "the certificate storage of the service (required)")
	fs.StringVar(&o.acmeEmail, "acme-email", "", "contact address given to the ACME CA")
	fs.StringVar(&o.acmeDirectory, "acme-directory", "", "ACME directory URL (default: Let's Encrypt production)")
	fs.StringVar(&o.acmeCAFile, "acme-directory-ca", "", "PEM file of the CA that signs the ACME directory's own HTTPS certificate")
	fs.StringVar(&o.resolver, "resolver", "", "DNS server, HOST:PORT (default: the first nameserver of /etc/resolv.conf)")
	fs.StringVar(&o.publicURL, "public-url", "", "the service's --public-url, whose host counts as the service host when the configuration sets no service_host")
	catchAll := fs.Bool("acme-catch-all", false, "allow names of domains served only by catch_all")
	httpPort := fs.Int("http-port", 80, "port of the service's plain-HTTP listener, where the CA's HTTP-01 validation arrives")
	tlsPort := fs.Int("tls-port", 443, "port of the service's TLS listener, where the CA's TLS-ALPN-01 validation arrives")
	domains, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if o.acmeCache == "" {
		return fmt.Errorf("--acme-cache is required")
	}
	if *allListed == (len(domains) > 0) {
		return fmt.Errorf("give DOMAIN arguments or --all-listed")
	}
	base, err := parsePublicURL(o.publicURL)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	mx, err := newMXResolver(o.resolver, cfg, logger)
	if err != nil {
		return err
	}
	m := metrics.New(versionString(), (&httpkit.Formats{}).Of)
	policy := newCertPolicy(autoconfig.NewStore(cfg), mx, base, *catchAll, m)
	roots, err := acmeRoots(o.acmeCAFile)
	if err != nil {
		return err
	}
	manager, err := autotls.New(autotls.Options{
		Storage: o.acmeCache, Email: o.acmeEmail, Directory: o.acmeDirectory, Roots: roots,
		HTTPPort: *httpPort, TLSPort: *tlsPort, Logger: logger, Events: m,
	})
	if err != nil {
		return err
	}
	defer manager.Stop()

	names := listedNames(cfg, base)
	if !*allListed {
		names = namesOf(domains)
	}
	ctx := context.Background()
	var ready, refused []string
	for _, name := range names {
		if d := policy.Decide(ctx, name); !d.Allowed {
			fmt.Fprintf(stdout, "refused %s: %s\n", name, d.Reason)
			refused = append(refused, name)
			continue
		}
		ready = append(ready, name)
	}
	failed := 0
	for _, name := range ready {
		if err := manager.Obtain(ctx, []string{name}); err != nil {
			fmt.Fprintf(stdout, "failed  %s: %v\n", name, err)
			failed++
			continue
		}
		fmt.Fprintf(stdout, "ok      %s\n", name)
	}
	return issueOutcome(refused, failed, len(ready))
}

// issueOutcome is the error of a run that left names without a
// certificate, refused by the policy or failed at the CA: a script or a
// job that runs `certs issue` must not take it for a success.
func issueOutcome(refused []string, failed, tried int) error {
	var problems []string
	if len(refused) > 0 {
		problems = append(problems, fmt.Sprintf("%d name(s) refused by the certificate policy: %s", len(refused), strings.Join(refused, ", ")))
	}
	if failed > 0 {
		problems = append(problems, fmt.Sprintf("%d of %d certificates not obtained", failed, tried))
	}
	if len(problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(problems, "; "))
}

// namesOf turns mail domains into the names clients look up; a name
// already given with its prefix is kept as it is.
func namesOf(args []string) []string {
	var names []string
	for _, a := range args {
		if ascii, err := idna.Lookup.ToASCII(a); err == nil {
			a = ascii // CAs certify the ASCII form
		}
		a = strings.ToLower(strings.TrimSuffix(a, "."))
		prefixed := false
		for _, p := range autoconfig.ServiceHostPrefixes() {
			prefixed = prefixed || strings.HasPrefix(a, p)
		}
		if prefixed {
			names = append(names, a)
			continue
		}
		for _, p := range autoconfig.ServiceHostPrefixes() {
			names = append(names, p+a)
		}
	}
	return names
}
