package metrics

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func leaf(notAfter time.Time, cn string, dnsNames ...string) *x509.Certificate {
	return &x509.Certificate{Subject: pkix.Name{CommonName: cn}, DNSNames: dnsNames, NotAfter: notAfter}
}

// expiries is every certificate-expiry series in the registry, by label.
func expiries(t *testing.T, m *Metrics) map[string]float64 {
	t.Helper()
	families, err := m.Registry.Gather()
	require.NoError(t, err)
	out := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "mailautoconf_certificate_expiry_timestamp_seconds" {
			continue
		}
		for _, s := range f.GetMetric() {
			require.Len(t, s.GetLabel(), 1)
			assert.Equal(t, "certificate", s.GetLabel()[0].GetName())
			out[s.GetLabel()[0].GetValue()] = s.GetGauge().GetValue()
		}
	}
	return out
}

func TestCertificateExpires_LabelledByFirstDNSName(t *testing.T) {
	at := time.Unix(1_900_000_000, 0)
	for name, tc := range map[string]struct {
		leaf *x509.Certificate
		want map[string]float64
	}{
		"first DNS name":           {leaf(at, "ignored", "autoconfig.example.com", "autoconfig.example.org"), map[string]float64{"autoconfig.example.com": 1.9e9}},
		"common name without SANs": {leaf(at, "legacy.example.com"), map[string]float64{"legacy.example.com": 1.9e9}},
		"no name at all":           {leaf(at, ""), map[string]float64{}},
		"no certificate":           {nil, map[string]float64{}},
	} {
		t.Run(name, func(t *testing.T) {
			m := New("test", func(string) string { return "other" })
			m.CertificateExpires(tc.leaf)
			assert.Equal(t, tc.want, expiries(t, m))
		})
	}
}

func TestCertificateFileLoaded_RenewalReplacesTheSeries(t *testing.T) {
	m := New("test", func(string) string { return "other" })
	loaded := m.CertificateFileLoaded()
	loaded(leaf(time.Unix(1_800_000_000, 0), "", "autoconfig.example.com"))
	loaded(leaf(time.Unix(1_900_000_000, 0), "", "autoconfig.example.com"))
	assert.Equal(t, map[string]float64{"autoconfig.example.com": 1.9e9}, expiries(t, m))

	// A renewal under another first name leaves no stale series behind.
	loaded(leaf(time.Unix(2_000_000_000, 0), "", "autoconfig.example.org", "autoconfig.example.com"))
	assert.Equal(t, map[string]float64{"autoconfig.example.org": 2e9}, expiries(t, m))
}

// The alert rules name the MX and certificate-pointer series: they exist
// from the start, at zero until a resolver is watched.
func TestNames_ListTheMXAndRefusalSeries(t *testing.T) {
	m := New("test", func(string) string { return "other" })
	for _, name := range []string{"mailautoconf_mx_lookups_total", "mailautoconf_mx_budget_refusals_total",
		"mailautoconf_mx_negative_cache_hits_total", "mailautoconf_refused_total",
		"mailautoconf_cert_pointer_lookups_total", "mailautoconf_cert_pointer_budget_refusals_total",
		"mailautoconf_cert_pointer_negative_cache_hits_total"} {
		assert.Contains(t, m.Names(), name)
	}
	_, err := m.Registry.Gather()
	require.NoError(t, err)
}
