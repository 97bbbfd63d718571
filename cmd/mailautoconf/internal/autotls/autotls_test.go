package autotls

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/caddyserver/certmagic"
	"github.com/mholt/acmez/v3/acme"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type events struct {
	obtained map[bool]int
	failed   map[string]int
}

func (e *events) CertificateObtained(renewal bool) { e.obtained[renewal]++ }
func (e *events) CertificateFailed(reason string)  { e.failed[reason]++ }

// TestDecide_RateLimitsNewOrdersOnly: past the burst, a name with no
// certificate in storage is refused and counted; a name in storage is
// loaded whatever the limit; a refusal of the policy stays a refusal.
func TestDecide_RateLimitsNewOrdersOnly(t *testing.T) {
	storage := t.TempDir()
	ev := &events{obtained: map[bool]int{}, failed: map[string]int{}}
	refused := errors.New("not served")
	m, err := New(Options{
		Storage: storage, Directory: "https://ca.invalid/directory", Events: ev,
		Decide: func(_ context.Context, name string) error {
			if name == "autoconfig.refused.test" {
				return refused
			}
			return nil
		},
		OnDemandRate: 0, OnDemandBurst: 1,
	})
	require.NoError(t, err)
	t.Cleanup(m.Stop)
	decide := m.onDemand.OnDemand.DecisionFunc
	ctx := context.Background()

	assert.NoError(t, decide(ctx, "autoconfig.a.test"), "within the burst")
	assert.ErrorContains(t, decide(ctx, "autoconfig.b.test"), "rate limit")
	assert.Equal(t, 1, ev.failed["on_demand_rate_limited"])
	assert.ErrorIs(t, decide(ctx, "autoconfig.refused.test"), refused)

	key := certmagic.StorageKeys.SiteCert(m.issuer.IssuerKey(), "autoconfig.stored.test")
	path := filepath.Join(storage, filepath.FromSlash(key))
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
	require.NoError(t, os.WriteFile(path, []byte("stored"), 0o600))
	assert.NoError(t, decide(ctx, "autoconfig.stored.test"), "in storage: loaded, not ordered")
}

func TestFailureReason(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{acme.Problem{Type: "urn:ietf:params:acme:error:rateLimited"}, "rateLimited"},
		{fmt.Errorf("[x] Obtain: %w", acme.Problem{Type: "urn:ietf:params:acme:error:unauthorized"}), "unauthorized"},
		{acme.Problem{Type: "urn:ietf:params:acme:error:<script>"}, "other"},
		{fmt.Errorf("ordering: %w", context.DeadlineExceeded), "timeout"},
		{errors.New("disk full"), "other"},
		{nil, "other"},
	} {
		assert.Equal(t, tc.want, FailureReason(tc.err), fmt.Sprint(tc.err))
	}
}
