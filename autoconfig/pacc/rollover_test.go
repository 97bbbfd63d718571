package pacc_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/pacc"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// rolloverConfig is a provider whose PACC document names imapHost.
func rolloverConfig(t *testing.T, imapHost string) *autoconfig.Config {
	t.Helper()
	return testkit.ParseConfig(t, `
providers:
  - id: r.example
    display_name: R
    domains: [r.example]
    incoming: [{protocol: imap, host: `+imapHost+`, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: smtp.r.example, port: 465, security: tls}]
`)
}

func document(t *testing.T, cfg *autoconfig.Config) []byte {
	t.Helper()
	doc, err := pacc.Render(autoconfig.NewDomain(cfg.Providers[0], "r.example"))
	require.NoError(t, err)
	return doc
}

func TestRollover_PreviousDocumentStaysValidForTheWindow(t *testing.T) {
	start := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "pacc-state.json")
	h, err := pacc.LoadHistory(path, 7*24*time.Hour)
	require.NoError(t, err)
	oldCfg, newCfg := rolloverConfig(t, "imap1.r.example"), rolloverConfig(t, "imap2.r.example")
	oldDoc, newDoc := document(t, oldCfg), document(t, newCfg)

	assert.True(t, h.Observe(oldCfg, start))
	assert.False(t, h.Observe(oldCfg, start.Add(time.Hour)), "nothing changed")
	assert.Empty(t, h.Previous("r.example", start))

	changedAt := start.Add(24 * time.Hour)
	assert.True(t, h.Observe(newCfg, changedAt))
	require.NoError(t, h.Save())

	// A process started later (a restart, dns, check) reads the same.
	h2, err := pacc.LoadHistory(path, 7*24*time.Hour)
	require.NoError(t, err)
	for _, hist := range []*pacc.History{h, h2} {
		prev := hist.Previous("r.example", changedAt.Add(time.Hour))
		require.Len(t, prev, 1)
		assert.Equal(t, pacc.Digest(oldDoc), prev[0].Digest)
		assert.Equal(t, string(oldDoc), prev[0].Document)
		assert.Equal(t, changedAt.Add(7*24*time.Hour), prev[0].Until)
		assert.Empty(t, hist.Previous("r.example", changedAt.Add(7*24*time.Hour)), "expired after the window")
	}
	assert.True(t, h2.Observe(newCfg, changedAt.Add(8*24*time.Hour)), "the expired generation is dropped")
	assert.Equal(t, string(newDoc), string(h2.Pinned("r.example", newDoc, []string{pacc.DigestRecord(oldDoc)}, changedAt.Add(8*24*time.Hour))))
	assert.Empty(t, h2.Previous("r.example", changedAt))
}

func TestRollover_NoWindowKeepsNothing(t *testing.T) {
	h, err := pacc.LoadHistory(filepath.Join(t.TempDir(), "s.json"), 0)
	require.NoError(t, err)
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	h.Observe(rolloverConfig(t, "imap1.r.example"), now)
	h.Observe(rolloverConfig(t, "imap2.r.example"), now)
	assert.Empty(t, h.Previous("r.example", now))
}

// A domain that still pins the previous digest is served the previous
// document; one that pins the current digest, several, or none, the current.
func TestRollover_PinnedDocument(t *testing.T) {
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	h, err := pacc.LoadHistory(filepath.Join(t.TempDir(), "s.json"), time.Hour)
	require.NoError(t, err)
	oldCfg, newCfg := rolloverConfig(t, "imap1.r.example"), rolloverConfig(t, "imap2.r.example")
	oldDoc, newDoc := document(t, oldCfg), document(t, newCfg)
	h.Observe(oldCfg, now)
	h.Observe(newCfg, now)
	oldTXT, newTXT := pacc.DigestRecord(oldDoc), pacc.DigestRecord(newDoc)
	for name, tc := range map[string]struct {
		published []string
		at        time.Time
		want      []byte
	}{
		"current":              {[]string{newTXT}, now, newDoc},
		"both":                 {[]string{oldTXT, newTXT}, now, newDoc},
		"previous only":        {[]string{"v=spf1 -all", oldTXT}, now, oldDoc},
		"previous, expired":    {[]string{oldTXT}, now.Add(time.Hour), newDoc},
		"none":                 {nil, now, newDoc},
		"unknown tags ignored": {[]string{"v=UAAC1; x=1; a=sha256; d=" + pacc.Digest(oldDoc)}, now, oldDoc},
	} {
		assert.Equal(t, string(tc.want), string(h.Pinned("r.example", newDoc, tc.published, tc.at)), name)
	}
}

func TestRollover_BrokenStateFileIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	require.NoError(t, os.WriteFile(path, []byte("{not json"), 0o600))
	_, err := pacc.LoadHistory(path, time.Hour)
	assert.ErrorContains(t, err, "PACC state file")
}

// During the window the service answers a domain that still pins the
// previous digest with the previous document; others get the current one.
// Outside a window no lookup is made.
func TestRollover_HandlerServesThePinnedDocument(t *testing.T) {
	oldCfg, newCfg := rolloverConfig(t, "imap1.r.example"), rolloverConfig(t, "imap2.r.example")
	oldDoc, newDoc := document(t, oldCfg), document(t, newCfg)
	h, err := pacc.LoadHistory(filepath.Join(t.TempDir(), "s.json"), time.Hour)
	require.NoError(t, err)
	h.Observe(oldCfg, time.Now())
	h.Observe(newCfg, time.Now())
	var lookups atomic.Int32
	published := map[string][]string{
		"_ua-auto-config.r.example": {pacc.DigestRecord(oldDoc)},
	}
	lookup := func(_ context.Context, name string) ([]string, error) {
		lookups.Add(1)
		if txt, ok := published[name]; ok {
			return txt, nil
		}
		return nil, errors.New("SERVFAIL")
	}
	get := func(e http.Handler, host string) string {
		w := testkit.Do(e, http.MethodGet, pacc.Path, host, nil)
		require.Equal(t, http.StatusOK, w.Code)
		return w.Body.String()
	}
	cfg := testkit.ParseConfig(t, `
providers:
  - id: r.example
    display_name: R
    domains: [r.example, s.example]
    incoming: [{protocol: imap, host: imap2.r.example, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: smtp.r.example, port: 465, security: tls}]
`)
	e := testkit.Engine(t, pacc.New(testkit.Deps(cfg)).WithRollover(h, lookup))
	assert.Equal(t, string(oldDoc), get(e, "ua-auto-config.r.example"), "pins the previous digest")
	assert.Equal(t, string(newDoc), get(e, "ua-auto-config.s.example"), "lookup failed: the current document")
	published["_ua-auto-config.r.example"] = append(published["_ua-auto-config.r.example"], pacc.DigestRecord(newDoc))
	assert.Equal(t, string(newDoc), get(e, "ua-auto-config.r.example"), "pins both: the current document")

	noWindow, err := pacc.LoadHistory(filepath.Join(t.TempDir(), "s.json"), 0)
	require.NoError(t, err)
	noWindow.Observe(newCfg, time.Now())
	lookups.Store(0)
	e = testkit.Engine(t, pacc.New(testkit.Deps(cfg)).WithRollover(noWindow, lookup))
	assert.Equal(t, string(newDoc), get(e, "ua-auto-config.r.example"))
	assert.Zero(t, lookups.Load(), "no window, no lookup")
}
