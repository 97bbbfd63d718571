package dnscheck

import (
	"slices"
	"strconv"
	"strings"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/pacc"
)

// CheckPending is a record its owner must update that still works for a
// while: a previous PACC digest during its rollover window (pacc.History).
const CheckPending CheckStatus = "pending"

// paccDigests are the _ua-auto-config TXT values, quoted as query returns
// them, that the check accepts: the current document's, and the previous
// documents' still valid, with the end of their validity.
type paccDigests struct {
	current  string
	previous map[string]string // quoted record → "until" (RFC 3339)
}

func newPACCDigests(current []byte, previous []pacc.Generation) paccDigests {
	d := paccDigests{current: strconv.Quote(pacc.DigestRecord(current)), previous: map[string]string{}}
	for _, g := range previous {
		d.previous[strconv.Quote(pacc.DigestRecord([]byte(g.Document)))] = g.Until.UTC().Format("2006-01-02 15:04 MST")
	}
	return d
}

// status judges the digest records found: ok when the current one is
// there (previous ones beside it are fine during the window), pending when
// only a previous one still valid is, wrong when any matches no document,
// missing when there is none. detail names the deadline of a pending one.
func (d paccDigests) status(found []string) (CheckStatus, string) {
	if len(found) == 0 {
		return CheckMissing, ""
	}
	var unknown []string
	for _, f := range found {
		if _, prev := d.previous[f]; f != d.current && !prev {
			unknown = append(unknown, f)
		}
	}
	switch {
	case len(unknown) > 0:
		return CheckWrong, "found " + strings.Join(unknown, ", ") + ", which matches no document of the provider"
	case slices.Contains(found, d.current):
		return CheckOK, ""
	}
	var until []string
	for _, f := range found {
		until = append(until, d.previous[f])
	}
	slices.Sort(until)
	return CheckPending, "the previous document's digest, valid until " + until[len(until)-1]
}

// paccDigests are the digests the check accepts for d, and the previous
// documents still valid; nil digests when d has no PACC document.
func (c *Checker) paccDigests(d autoconfig.Domain) (*paccDigests, []pacc.Generation) {
	doc, err := pacc.Render(d)
	if err != nil {
		return nil, nil
	}
	var previous []pacc.Generation
	if c.PACCPrevious != nil {
		previous = c.PACCPrevious(d.Provider.ID)
	}
	digests := newPACCDigests(doc, previous)
	return &digests, previous
}
