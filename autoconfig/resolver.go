package autoconfig

import "context"

// MXLookup finds the MX hosts of a domain, most preferred first; a domain
// without MX gives none and no error. mxlookup.Lookup is the one the
// service uses.
type MXLookup interface {
	LookupMX(ctx context.Context, domain string) ([]MXHost, error)
}

// Resolver turns a domain or an address into the decisions clients need,
// with the configuration in force. It is the one place every format gets
// its settings from: handlers resolve, renderers render.
type Resolver struct {
	Store *Store
	// MX, when set, lets providers with accept.mx serve unlisted domains
	// whose MX points at them; nil disables MX acceptance.
	MX MXLookup
}

// Config is the configuration in force. A handler that keys a cache with
// the configuration reads it once and passes it to the In methods.
func (r *Resolver) Config() *Config { return r.Store.Config() }

// Provider finds the provider serving an ASCII domain with the
// configuration in force.
func (r *Resolver) Provider(ctx context.Context, domain string) (*Provider, error) {
	return r.ProviderIn(ctx, r.Config(), domain)
}

// ProviderIn finds the provider of an ASCII domain in cfg. Listed and
// catch-all domains are answered from the configuration alone; only an
// unlisted domain, when some provider accepts domains by MX, costs an MX
// lookup. A failed lookup makes the domain unknown (404), never a 5xx: the
// service is up, only that domain's DNS is not.
func (r *Resolver) ProviderIn(ctx context.Context, cfg *Config, domain string) (*Provider, error) {
	p, err := cfg.Lookup(domain)
	if err == nil || r.MX == nil || !cfg.AcceptsMX() {
		return p, err
	}
	hosts, mxErr := r.MX.LookupMX(ctx, domain)
	if mxErr != nil {
		return nil, err
	}
	if p := cfg.ProviderForMX(hosts); p != nil {
		return p, nil
	}
	return nil, err
}

// Domain resolves an ASCII domain with the configuration in force.
func (r *Resolver) Domain(ctx context.Context, domain string) (Domain, error) {
	p, err := r.Provider(ctx, domain)
	if err != nil {
		return Domain{}, err
	}
	return NewDomain(p, domain), nil
}

// Account resolves an address, with the person's name ("" when unknown),
// with the configuration in force.
func (r *Resolver) Account(ctx context.Context, addr Address, displayName string) (Account, error) {
	return r.AccountIn(ctx, r.Config(), addr, displayName)
}

// AccountIn resolves an address with cfg.
func (r *Resolver) AccountIn(ctx context.Context, cfg *Config, addr Address, displayName string) (Account, error) {
	p, err := r.ProviderIn(ctx, cfg, addr.Domain)
	if err != nil {
		return Account{}, err
	}
	return NewAccount(p, addr, displayName), nil
}
