package main

import (
	"flag"
	"log/slog"
	"time"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/mxlookup"
	"github.com/mailautoconf/mailautoconf/autoconfig/pacc"
)

// paccOptions are serve's flags of the PACC digest rollover.
type paccOptions struct {
	state    string
	rollover time.Duration
}

// defaultPACCRollover leaves domain owners a week to publish a new digest.
const defaultPACCRollover = 7 * 24 * time.Hour

func addPACCFlags(fs *flag.FlagSet, o *paccOptions) {
	fs.StringVar(&o.state, "pacc-state", "", "file where the service keeps its current and previous PACC documents, so that a previous digest stays valid across restarts and dns/check see it (default: no rollover)")
	fs.DurationVar(&o.rollover, "pacc-rollover", defaultPACCRollover, "with --pacc-state, how long the previous PACC document stays valid after a change of the provider's settings")
}

// history loads the state file and records cfg's documents in it; nil
// without --pacc-state.
func (o paccOptions) history(cfg *autoconfig.Config, logger *slog.Logger) (*pacc.History, error) {
	if o.state == "" {
		return nil, nil
	}
	h, err := pacc.LoadHistory(o.state, o.rollover)
	if err != nil {
		return nil, err
	}
	if h.Observe(cfg, time.Now()) {
		if err := h.Save(); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// observePACC records a configuration put in force. A state file that
// cannot be written is logged, not fatal: the service keeps serving, and
// the previous digest is still valid in memory until a restart.
func observePACC(h *pacc.History, cfg *autoconfig.Config, logger *slog.Logger) {
	if h == nil || !h.Observe(cfg, time.Now()) {
		return
	}
	if err := h.Save(); err != nil {
		logger.Error("the PACC state file could not be written", "error", err)
	}
}

// paccLookup is how the PACC handler reads the digests a domain publishes:
// through the accept.mx resolver, its cache and its budget; nil without a
// resolver (previous documents are then not served).
func paccLookup(mx *mxlookup.Lookup) pacc.TXTLookup {
	if mx == nil {
		return nil
	}
	return mx.LookupTXT
}
