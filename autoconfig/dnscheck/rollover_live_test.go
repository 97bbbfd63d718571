package dnscheck_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnscheck"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnstest"
	"github.com/mailautoconf/mailautoconf/autoconfig/pacc"
)

// The model changed (a new help URL); the zone still publishes the
// previous digest and the service still serves the previous document to
// it. During the rollover window that is "update pending", the owner's to
// do; without the window it is wrong.
func TestCheck_PreviousPACCDigestIsUpdatePending(t *testing.T) {
	srv := customerZone(t, "example.ch.zone")
	p := defaultProvider(t)
	oldDoc, err := pacc.Render(autoconfig.NewDomain(p, "example.ch"))
	require.NoError(t, err)
	changed := *p
	changed.HelpURL = "https://help.example/"
	d := autoconfig.NewDomain(&changed, "example.ch")

	c := dnstest.CustomerWeb(t).Checker(srv.Addr, testISPDB)
	c.PACCPrevious = func(providerID string) []pacc.Generation {
		assert.Equal(t, p.ID, providerID)
		return []pacc.Generation{{Document: string(oldDoc), Digest: pacc.Digest(oldDoc), Until: time.Date(2026, 12, 13, 0, 0, 0, 0, time.UTC)}}
	}
	rep := c.Check(context.Background(), d, testServiceHost)
	for _, r := range rep.Records {
		if r.Name == "_ua-auto-config.example.ch." {
			assert.Equal(t, dnscheck.CheckPending, r.Status)
			assert.Contains(t, r.Detail, "valid until 2026-12-13 00:00 UTC")
		}
	}
	for _, e := range rep.Endpoints {
		if e.Name == "pacc" {
			assert.Equal(t, dnscheck.CheckOK, e.Status, "the previous document, pinned by the published digest: %s", e.Detail)
		}
	}
	pending := findingsOf(rep, "pacc-update-pending")
	require.Len(t, pending, 1)
	assert.Equal(t, dnscheck.FaultOwner, pending[0].Fault)
	assert.False(t, pending[0].Required, "mail works without PACC")
	assert.Contains(t, pending[0].Message(), "Update pending")
	assert.Equal(t, dnscheck.VerdictOwner, rep.Verdict)

	c.PACCPrevious = nil
	rep = c.Check(context.Background(), d, testServiceHost)
	assert.Empty(t, findingsOf(rep, "pacc-update-pending"))
	assert.NotEmpty(t, findingsOf(rep, "record-wrong"), "without a window the previous digest matches nothing")
}
