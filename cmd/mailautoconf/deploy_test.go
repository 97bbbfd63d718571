package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/certs"
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

// kubeDoc is the part of a manifest document the checks below read.
type kubeDoc struct {
	Kind string `yaml:"kind"`
	Spec struct {
		Template struct {
			Spec struct {
				Containers []struct {
					Image string `yaml:"image"`
					Env   []struct {
						Name      string `yaml:"name"`
						Value     string `yaml:"value"`
						ValueFrom struct {
							SecretKeyRef struct {
								Name string `yaml:"name"`
								Key  string `yaml:"key"`
							} `yaml:"secretKeyRef"`
						} `yaml:"valueFrom"`
					} `yaml:"env"`
					Ports []struct {
						Name          string `yaml:"name"`
						ContainerPort int    `yaml:"containerPort"`
					} `yaml:"ports"`
					Resources struct {
						Limits struct {
							Memory string `yaml:"memory"`
						} `yaml:"limits"`
					} `yaml:"resources"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
		Ingress []struct {
			Ports []struct {
				Port any `yaml:"port"`
			} `yaml:"ports"`
			From []map[string]any `yaml:"from"`
		} `yaml:"ingress"`
	} `yaml:"spec"`
}

func kubeDocs(t *testing.T) map[string]kubeDoc {
	t.Helper()
	data, err := os.ReadFile(deployFile(t, "kubernetes.yaml"))
	require.NoError(t, err)
	docs := map[string]kubeDoc{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc kubeDoc
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs
		}
		require.NoError(t, err)
		if _, seen := docs[doc.Kind]; !seen {
			docs[doc.Kind] = doc
		}
	}
}

// The Deployment as shipped: a release tag to set (not :latest), the
// helpdesk and admin tokens from Secrets in the variables serve reads, a
// Go memory limit below the container's, and the private port kept in
// by a NetworkPolicy.
func TestDeploy_KubernetesTagTokensMemoryAndPrivatePort(t *testing.T) {
	docs := kubeDocs(t)
	containers := docs["Deployment"].Spec.Template.Spec.Containers
	require.Len(t, containers, 1)
	c := containers[0]

	_, tag, hasTag := strings.Cut(c.Image[strings.LastIndex(c.Image, "/")+1:], ":")
	assert.True(t, hasTag, "the image names its tag: %s", c.Image)
	assert.NotEqual(t, "latest", tag)

	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
		if ref := e.ValueFrom.SecretKeyRef; ref.Name != "" {
			env[e.Name] = "secret:" + ref.Name + "/" + ref.Key
		}
	}
	assert.Equal(t, "secret:mailautoconf-helpdesk/token", env[helpdeskTokenEnv])
	assert.Equal(t, "secret:mailautoconf-admin/token", env[adminTokenEnv])

	limit, goLimit := mebibytes(t, c.Resources.Limits.Memory), mebibytes(t, env["GOMEMLIMIT"])
	assert.Less(t, goLimit, limit, "GOMEMLIMIT leaves room below the container's limit")
	assert.Greater(t, goLimit, limit/2)

	policy, ok := docs["NetworkPolicy"]
	require.True(t, ok, "a NetworkPolicy keeps the private port in")
	private := 0
	for _, p := range c.Ports {
		if p.Name == "private" {
			private = p.ContainerPort
		}
	}
	require.NotZero(t, private)
	for _, rule := range policy.Spec.Ingress {
		for _, p := range rule.Ports {
			if p.Port == "private" || p.Port == private {
				assert.NotEmpty(t, rule.From, "port %v is open to the cluster's namespaces listed, not to everyone", p.Port)
				for _, from := range rule.From {
					assert.NotContains(t, from, "ipBlock", "no address block: inside the cluster only")
				}
			}
		}
	}
}

// mebibytes reads "256Mi" (Kubernetes) or "200MiB" (GOMEMLIMIT): the only
// forms the manifest uses.
func mebibytes(t *testing.T, s string) int {
	t.Helper()
	digits, ok := strings.CutSuffix(strings.TrimSuffix(s, "B"), "Mi")
	require.True(t, ok, "%q is not in Mi or MiB", s)
	n, err := strconv.Atoi(digits)
	require.NoError(t, err, s)
	return n
}

// The log warns of a certificate file at the same 14 days as the alert.
func TestDeploy_CertificateAlertMatchesTheLogWarning(t *testing.T) {
	data, err := os.ReadFile(deployFile(t, "alerts.yaml"))
	require.NoError(t, err)
	days := int(certs.ExpiryWarning.Hours() / 24)
	assert.Contains(t, string(data), fmt.Sprintf("time() < %d * 86400", days))
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

// The operators' step 5 shows the command the systemd unit runs: the same
// file name, the same flags (a --public-url missing from one of them made
// the QR codes point at the wrong name).
func TestDeploy_SystemdUnitMatchesTheREADME(t *testing.T) {
	unit, err := os.ReadFile(deployFile(t, "mailautoconf.service"))
	require.NoError(t, err)
	execStart := regexp.MustCompile(`(?m)^ExecStart=((?:.*\\\n)*.*)$`).FindSubmatch(unit)
	require.NotNil(t, execStart, "the unit has an ExecStart")
	command := strings.Join(strings.Fields(strings.ReplaceAll(string(execStart[1]), "\\\n", " ")), " ")
	command = strings.TrimPrefix(command, "/usr/local/bin/")

	readme, err := os.ReadFile(filepath.Join(testkit.ModuleRoot(t), "README.md"))
	require.NoError(t, err)
	step := regexp.MustCompile("(?s)5\\. \\*\\*Run it\\*\\*.*?`(mailautoconf serve [^`]+)`").FindSubmatch(readme)
	require.NotNil(t, step, "step 5 of the operators' list shows the command")
	assert.Equal(t, command, strings.Join(strings.Fields(string(step[1])), " "))
	assert.Contains(t, command, "--public-url ")
}
