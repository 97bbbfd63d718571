package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/metrics"
)

// The files in deploy/ work as shipped: checked by the tools that read
// them where the machine has them (CI installs them).

func deployFile(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(testkit.ModuleRoot(t), "deploy", name)
}

// requireTool finds a program; CI must have it.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI (.ci/run installs it)", name)
		}
		t.Skipf("%s not installed", name)
	}
	return path
}

func TestDeploy_KubernetesManifestAndItsConfiguration(t *testing.T) {
	data, err := os.ReadFile(deployFile(t, "kubernetes.yaml"))
	require.NoError(t, err)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	kinds := map[string]bool{}
	for {
		var doc struct {
			Kind string            `yaml:"kind"`
			Data map[string]string `yaml:"data"`
		}
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		kinds[doc.Kind] = true
		if doc.Kind == "ConfigMap" {
			cfg, err := autoconfig.Parse("kubernetes.yaml ConfigMap", []byte(doc.Data["config.yaml"]))
			require.NoError(t, err, "the shipped configuration passes check")
			assert.NotEmpty(t, cfg.ServiceHost, "the manifest sets service_host")
		}
	}
	for _, kind := range []string{"ConfigMap", "Deployment", "Service", "PersistentVolumeClaim"} {
		assert.True(t, kinds[kind], "the manifest defines a %s", kind)
	}
}

func TestDeploy_CaddyfileIsValid(t *testing.T) {
	caddy := requireTool(t, "caddy")
	out, err := exec.Command(caddy, "validate", "--config", deployFile(t, "Caddyfile"), "--adapter", "caddyfile").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "Valid configuration")
}

func TestDeploy_NginxConfigIsValid(t *testing.T) {
	nginx := requireTool(t, "nginx")
	// The file is an http-context fragment (conf.d): include it in a
	// minimal main configuration, as a distribution's nginx.conf does.
	dir := t.TempDir()
	main := filepath.Join(dir, "nginx.conf")
	require.NoError(t, os.WriteFile(main, []byte("pid "+filepath.Join(dir, "nginx.pid")+";\nerror_log stderr;\nevents {}\nhttp { include "+deployFile(t, "nginx.conf")+"; }\n"), 0o644))
	out, err := exec.Command(nginx, "-t", "-c", main, "-e", "stderr").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "syntax is ok")
}

// The alert rules parse and name only metrics the service exports.
func TestDeploy_AlertRulesUseExportedMetrics(t *testing.T) {
	data, err := os.ReadFile(deployFile(t, "alerts.yaml"))
	require.NoError(t, err)
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	require.NoError(t, yaml.Unmarshal(data, &rules))
	require.NotEmpty(t, rules.Groups)
	exported := exportedMetricNames(t)
	name := regexp.MustCompile(`mailautoconf_[a-z_]+`)
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			require.NotEmpty(t, r.Alert)
			for _, m := range name.FindAllString(r.Expr, -1) {
				assert.True(t, exported[m], "alert %s uses %s, which the service does not export", r.Alert, m)
				n++
			}
		}
	}
	assert.Greater(t, n, 3)
}

// exportedMetricNames are the metric names of a fresh registry, read from
// the descriptors of its collectors (metrics without series included).
func exportedMetricNames(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, n := range metrics.New("test", (&httpkit.Formats{}).Of).Names() {
		out[n] = true
	}
	require.NotEmpty(t, out)
	return out
}
