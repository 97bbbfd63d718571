package main

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/accesslog"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/metrics"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/ratelimit"
	"github.com/mailautoconf/mailautoconf/wizard/devicepass"
	"github.com/mailautoconf/mailautoconf/wizard/devicepass/devicepasstest"
)

// The one-step setup as the server wires it: the password reaches the
// browser once and appears in no access log line, server log line,
// metric or response header.
func TestServer_OneStepSetupLeavesNoPasswordBehind(t *testing.T) {
	const secret = "Mint-Secret-4711"
	setup := devicepasstest.Start(t, secret, "")
	srv := setup.Server
	logs := &testkit.LogBuffer{}
	s := site{store: autoconfig.NewStore(setup.Config), logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		logOutput: logs, logFormat: accesslog.JSON, logAddresses: true, publicURL: setup.PublicURL, publicOperations: true}
	s.metrics = metrics.New("test", func(string) string { return "" })
	setup.Serve(newHandler(s))

	b := devicepasstest.NewBrowser(t, srv.URL, srv.Client())
	result := b.MakePassword(b.SignIn("other", "jane.doe@example.com"), "Laptop")
	require.Equal(t, http.StatusOK, result.Status, result.Body)
	assert.Contains(t, result.Body, secret, "shown once")
	assert.Equal(t, http.StatusGone, b.Get(devicepass.ResultPath).Status)
	b.Get(devicepass.ProfilePath)
	m := b.Get("/metrics")
	require.Equal(t, http.StatusOK, m.Status)
	assert.NotContains(t, m.Body, secret)

	assert.True(t, hasLine(logs.String(), devicepass.ResultPath), "the access log has the requests:\n%s", logs)
	b.RequireNotIn(secret, logs.Lines())
	for _, line := range logs.Lines() {
		assert.NotContains(t, line, "code=", "the access log names routes, not URLs")
	}
}

// deploy/device-password-api.yaml is an OpenAPI 3 document of the one
// operation, with the limits the service applies.
func TestDeploy_DevicePasswordAPIIsOpenAPI3(t *testing.T) {
	data, err := os.ReadFile("../../deploy/device-password-api.yaml")
	require.NoError(t, err)
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	require.NoError(t, yaml.Unmarshal(data, &doc))
	assert.True(t, strings.HasPrefix(doc.OpenAPI, "3."), doc.OpenAPI)
	require.Contains(t, doc.Paths, "/device-passwords")
	assert.Contains(t, doc.Paths["/device-passwords"], "post")
}

// Sign-ins and passwords are on the rate-limited group: each costs calls
// to the provider.
func TestRateLimit_OneStepSetupRoutes(t *testing.T) {
	for _, target := range []string{devicepass.StartPath + "?email=jane@example.ch&client=other", devicepass.CallbackPath, devicepass.DevicePath, devicepass.ProfilePath} {
		s := testSite(&bytes.Buffer{})
		s.limiter = ratelimit.New(0.001, 1, 10)
		e := newEngine(s)
		send := func() int {
			w := httptest.NewRecorder()
			e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
			return w.Code
		}
		assert.NotEqual(t, http.StatusTooManyRequests, send(), target)
		assert.Equal(t, http.StatusTooManyRequests, send(), target)
	}
}
