package mxlookup

import (
	"context"

	"github.com/mailautoconf/mailautoconf/autoconfig/dnsbudget"
)

// Budget bounds the MX queries that requests for unlisted domains can
// cause (see dnsbudget).
type Budget = dnsbudget.Budget

// Stats are the resolver's counters since it was built.
type Stats = dnsbudget.Stats

// DefaultBudget fits a service whose unlisted domains are its customers'
// domains: a few new names a minute in normal use, each cached for its TTL.
var DefaultBudget = dnsbudget.Default

// ErrBudget means a lookup was refused because the budget was spent: the
// domain is treated as unserved (404), and nothing is cached.
var ErrBudget = dnsbudget.ErrBudget

// The limit a refused lookup hit, for the metrics.
const (
	LimitClient   = dnsbudget.LimitClient
	LimitGlobal   = dnsbudget.LimitGlobal
	LimitInFlight = dnsbudget.LimitInFlight
)

// WithClient returns ctx carrying the client a lookup is made for (see
// dnsbudget.WithClient: every resolver reads the same client).
func WithClient(ctx context.Context, key string) context.Context {
	return dnsbudget.WithClient(ctx, key)
}

// HasClient reports whether ctx carries a client.
func HasClient(ctx context.Context) bool { return dnsbudget.HasClient(ctx) }
