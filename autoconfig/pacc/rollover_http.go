package pacc

import (
	"bytes"
	"context"
	"time"

	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
)

// TXTLookup returns the TXT records of a name, each record's strings
// joined (mxlookup.Lookup.LookupTXT).
type TXTLookup func(ctx context.Context, name string) ([]string, error)

// rollover lets the handler answer a domain that still publishes only a
// previous digest with the document that digest pins.
type rollover struct {
	history *History
	lookup  TXTLookup
	now     func() time.Time
}

// WithRollover makes h serve, during a provider's rollover window, the
// previous document to a domain whose _ua-auto-config records pin it and
// not the current one. Outside a window it costs nothing: no lookup.
func (h *Handler) WithRollover(history *History, lookup TXTLookup) *Handler {
	if history != nil && lookup != nil {
		h.rollover = &rollover{history: history, lookup: lookup, now: time.Now}
	}
	return h
}

// document is what to serve domain of the provider: current, or the
// previous document the domain still pins. A failed lookup serves the
// current document: the domain's owner may have updated already.
func (r *rollover) document(ctx context.Context, providerID, domain string, current httpkit.Document) httpkit.Document {
	if r == nil {
		return current
	}
	now := r.now()
	if len(r.history.Previous(providerID, now)) == 0 {
		return current
	}
	published, err := r.lookup(ctx, Label+"."+domain)
	if err != nil {
		return current
	}
	if doc := r.history.Pinned(providerID, current.Body, published, now); !bytes.Equal(doc, current.Body) {
		return httpkit.NewDocument(doc)
	}
	return current
}
