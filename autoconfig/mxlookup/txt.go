package mxlookup

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// txtEntry is a cached TXT answer: the strings of each record, joined.
type txtEntry struct {
	texts   []string
	err     error
	expires time.Time
}

// LookupTXT returns the TXT records of an ASCII name, each record's
// strings joined (as clients read them), through the same server, budget
// and shared flights as LookupMX, cached for the records' TTL (clamped),
// an empty answer for the negative TTL and a failure for FailureTTL. The
// PACC handler asks it which digest a domain publishes.
func (r *Lookup) LookupTXT(ctx context.Context, name string) ([]string, error) {
	now := r.now()
	if e, ok := r.txt.Get(name); ok && now.Before(e.expires) {
		return e.texts, e.err
	}
	if limit := r.budget.Spend(ctx, now); limit != "" {
		return nil, fmt.Errorf("%w for %s: %s limit", ErrBudget, name, limit)
	}
	ch := r.group.DoChan("TXT "+name, func() (any, error) {
		if !r.budget.Acquire() {
			return txtEntry{err: fmt.Errorf("%w for %s: %s limit", ErrBudget, name, LimitInFlight)}, nil
		}
		defer r.budget.Release()
		qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.Timeout)
		defer cancel()
		r.budget.Queries.Add(1)
		e := r.queryTXT(qctx, name)
		if e.err != nil {
			r.budget.Failed.Add(1)
		}
		r.txt.Put(name, e)
		return e, nil
	})
	select {
	case res := <-ch:
		e := res.Val.(txtEntry)
		return e.texts, e.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%w for %s: %w", ErrLookup, name, ctx.Err())
	}
}

func (r *Lookup) queryTXT(ctx context.Context, name string) txtEntry {
	now := r.now()
	resp, err := r.exchange(ctx, name, dns.TypeTXT)
	switch {
	case err != nil:
		return txtEntry{err: fmt.Errorf("%w for %s: %w", ErrLookup, name, err), expires: now.Add(r.FailureTTL)}
	case resp.Rcode != dns.RcodeSuccess && resp.Rcode != dns.RcodeNameError:
		return txtEntry{err: fmt.Errorf("%w for %s: the resolver answered %s", ErrLookup, name, dns.RcodeToString[resp.Rcode]),
			expires: now.Add(r.FailureTTL)}
	}
	var texts []string
	ttl := uint32(0)
	for _, rr := range resp.Answer {
		txt, ok := rr.(*dns.TXT)
		if !ok || !strings.EqualFold(txt.Hdr.Name, dns.Fqdn(name)) {
			continue
		}
		if len(texts) == 0 || txt.Hdr.Ttl < ttl {
			ttl = txt.Hdr.Ttl
		}
		texts = append(texts, strings.Join(txt.Txt, ""))
	}
	if len(texts) == 0 {
		return txtEntry{expires: now.Add(r.negativeTTL(resp))}
	}
	return txtEntry{texts: texts, expires: now.Add(r.clamp(time.Duration(ttl) * time.Second))}
}
