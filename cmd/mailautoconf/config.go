package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/mxlookup"
)

// errMXNeedsResolver refuses accept.mx when the service has no resolver to
// look the MX records up with.
var errMXNeedsResolver = errors.New("accept.mx needs a DNS resolver: start with --resolver HOST:PORT")

// loadConfig loads path, or the embedded default when path is empty.
func loadConfig(path string) (*autoconfig.Config, error) {
	if path == "" {
		return autoconfig.Default(), nil
	}
	return autoconfig.LoadFile(path)
}

// reloadConfig loads path for a reload. The resolver is chosen once, at
// start-up: without one, a reloaded accept.mx would answer 404 for every
// domain it should accept, silently, so it is refused like a broken file.
func reloadConfig(path string, haveResolver bool) func() (*autoconfig.Config, error) {
	return func() (*autoconfig.Config, error) {
		cfg, err := loadConfig(path)
		if err != nil {
			return nil, err
		}
		if cfg.AcceptsMX() && !haveResolver {
			return nil, fmt.Errorf("%s: %w", cfg.Source, errMXNeedsResolver)
		}
		return cfg, nil
	}
}

// configFlags are the flags that choose the configuration and, for a
// domain it does not list, the provider: shared by check, dns and generate
// so that every command answers a domain as the service does.
type configFlags struct {
	path, provider, resolver *string
}

func addConfigFlags(fs *flag.FlagSet) configFlags {
	return configFlags{
		path:     fs.String("config", "", "configuration file (default: the embedded example provider, for ANY domain)"),
		provider: fs.String("provider", "", "provider id, for a domain the configuration does not list (accept.mx)"),
		resolver: fs.String("resolver", "", "DNS server, HOST:PORT, to look up the MX of a domain the configuration does not list (accept.mx); check also asks it (default for check: the first nameserver of /etc/resolv.conf)"),
	}
}

// embeddedWarning is said on stderr when a command answers from the
// embedded example: run as shown on a helpdesk page without --config, it
// would give another provider's settings for any domain.
const embeddedWarning = "mailautoconf: warning: no --config given: answering from the embedded example provider, for any domain; pass --config FILE for your own settings"

// load loads --config, or the embedded example with a warning on stderr.
func (f configFlags) load(stderr io.Writer) (*autoconfig.Config, error) {
	if *f.path == "" {
		fmt.Fprintln(stderr, embeddedWarning)
	}
	return loadConfig(*f.path)
}

// providerFor is the provider serving domain as the service would: the one
// named by --provider, else the one listing it, else, when resolver is set,
// the one its MX points at (accept.mx).
func (f configFlags) providerFor(cfg *autoconfig.Config, domain, resolver string) (*autoconfig.Provider, error) {
	if id := *f.provider; id != "" {
		for _, p := range cfg.Providers {
			if p.ID == id {
				return p, nil
			}
		}
		return nil, fmt.Errorf("the configuration has no provider %q", id)
	}
	p, err := cfg.Lookup(domain)
	if err == nil || !cfg.AcceptsMX() {
		return p, withHint(err, "name a provider with --provider")
	}
	if resolver == "" {
		return nil, withHint(err, "name its provider with --provider ID, or look its MX up with --resolver HOST:PORT")
	}
	r := autoconfig.Resolver{MX: mxlookup.New(resolver, 1, nil)}
	p, err = r.ProviderIn(context.Background(), cfg, domain)
	return p, withHint(err, "its MX (asked "+resolver+") points at no provider's accept.mx, or could not be looked up: name one with --provider")
}

func withHint(err error, hint string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %s", err, hint)
}

// checkResolver validates --resolver when given.
func (f configFlags) checkResolver() error {
	if *f.resolver == "" {
		return nil
	}
	if err := checkHostPort(*f.resolver); err != nil {
		return fmt.Errorf("--resolver: %w", err)
	}
	return nil
}
