package autoconfig_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

const servers = `
    incoming:
      - {protocol: imap, host: mail.example.net, port: 993, security: tls}
    outgoing:
      - {protocol: smtp, host: mail.example.net, port: 587, security: starttls}
`

func TestConfig_AcceptMXAndServiceHost(t *testing.T) {
	cfg, err := autoconfig.Parse("c.yaml", []byte(`
service_host: Autoconfig.Example.NET.
providers:
  - id: example.net
    display_name: Example
    accept:
      mx: [MX1.example.net., mx2.example.net]
`+servers))
	require.NoError(t, err, "a provider with accept.mx and no domains is valid")
	assert.Equal(t, "autoconfig.example.net", cfg.ServiceHost)
	p := cfg.Providers[0]
	assert.Equal(t, []string{"mx1.example.net", "mx2.example.net"}, p.AcceptMX)
	assert.True(t, cfg.AcceptsMX())
	assert.Same(t, p, cfg.ProviderForMX([]autoconfig.MXHost{{Host: "mx2.example.net.", Priority: 10}}))
	assert.Nil(t, cfg.ProviderForMX([]autoconfig.MXHost{{Host: "mx.other.example", Priority: 10}}))
	assert.Nil(t, cfg.ProviderForMX([]autoconfig.MXHost{
		{Host: "mx.other.example", Priority: 1},
		{Host: "mx1.example.net", Priority: 20},
	}), "a backup MX does not host the domain")
	assert.Nil(t, cfg.ProviderForMX(nil))
}

func TestConfig_DefaultHasServiceHost(t *testing.T) {
	cfg := autoconfig.Default()
	assert.Equal(t, "autoconfig.infomaniak.com", cfg.ServiceHost)
	assert.False(t, cfg.AcceptsMX(), "the default answers every domain by catch_all, without DNS")
}

func TestConfig_AcceptMXErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"bad host", `
providers:
  - id: example.net
    display_name: Example
    accept:
      mx: ["not a host"]
` + servers, `c.yaml:6: providers[0].accept.mx[0]: "not a host" is not a valid host name`},
		{"claimed twice", `
providers:
  - id: a.example
    display_name: A
    accept:
      mx: [mx.example.net]
` + servers + `
  - id: b.example
    display_name: B
    accept:
      mx: [MX.example.net]
` + servers, `c.yaml:16: providers[1].accept.mx[0]: mx.example.net is already accepted by provider "a.example" at line 6`},
		{"with catch_all", `
catch_all: example.net
providers:
  - id: example.net
    display_name: Example
    accept:
      mx: [mx.example.net]
` + servers, `c.yaml:2: catch_all: cannot be combined with accept.mx`},
		{"unknown accept key", `
providers:
  - id: example.net
    display_name: Example
    accept:
      domains: [x]
` + servers, `c.yaml:6: providers[0].accept.domains: unknown field`},
		{"bad service host", `
service_host: "-bad-.example"
providers:
  - id: example.net
    display_name: Example
    domains: [example.net]
` + servers, `c.yaml:2: service_host: "-bad-.example" is not a valid host name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := autoconfig.Parse("c.yaml", []byte(tt.yaml))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
