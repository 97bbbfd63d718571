package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// syncBuffer is the shared test kit's log destination.
type syncBuffer = testkit.LogBuffer

// testOptions are serve's flag defaults, on a free loopback port, with
// the private listener on another; the configuration file is not watched
// (tests that reload send SIGHUP, or turn the watch on), and no client is
// suspended.
func testOptions(t *testing.T) serveOptions {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	o := serveFlags(fs)
	require.NoError(t, fs.Parse(nil))
	o.listen = "127.0.0.1:0"
	o.privateAddr = "127.0.0.1:0"
	o.watchConfig = false
	// Every test's client is 127.0.0.1, and many send refused requests on
	// purpose: TestServe_SuspendsAClientRefusedTooOften turns it back on.
	o.suspendAfter = 0
	return *o
}

// runningServer is a server started by a test, stopped at its end.
type runningServer struct {
	*server
	logs *syncBuffer
	hup  chan os.Signal
	stop context.CancelFunc
	done chan error
}

func startServer(t *testing.T, o serveOptions) *runningServer {
	t.Helper()
	logs := &syncBuffer{}
	srv, err := newServer(o, logs)
	require.NoError(t, err)
	ctx, stop := context.WithCancel(context.Background())
	rs := &runningServer{server: srv, logs: logs, hup: make(chan os.Signal), stop: stop, done: make(chan error, 1)}
	go func() { rs.done <- srv.run(ctx, rs.hup) }()
	t.Cleanup(func() {
		stop()
		select {
		case <-rs.done:
		case <-time.After(30 * time.Second):
			t.Error("server did not stop")
		}
	})
	return rs
}

func (rs *runningServer) url(path string) string {
	scheme := "http"
	if rs.tls {
		scheme = "https"
	}
	return scheme + "://" + rs.mainLn.Addr().String() + path
}

// privateURL is path on the private listener (/metrics, /admin/*).
func (rs *runningServer) privateURL(path string) string {
	return "http://" + rs.privateLn.Addr().String() + path
}

// get fetches url with client and returns the status and body.
func get(t *testing.T, client *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := client.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

// Two configurations that both serve example.com with different host
// names, so a test can tell which one answered; the second also serves
// example.org.
const (
	configA = `providers:
  - id: example.com
    display_name: Example A
    domains: [example.com]
    incoming: [{protocol: imap, host: imap-a.example.com, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: smtp-a.example.com, port: 587, security: starttls}]
`
	configB = `providers:
  - id: example.com
    display_name: Example B
    domains: [example.com, example.org]
    incoming: [{protocol: imap, host: imap-b.example.com, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: smtp-b.example.com, port: 587, security: starttls}]
`
	// configBroken has a bad port on line 5.
	configBroken = `providers:
  - id: example.com
    display_name: Example Broken
    domains: [example.com]
    incoming: [{protocol: imap, host: imap-x.example.com, port: 0, security: tls}]
    outgoing: [{protocol: smtp, host: smtp-x.example.com, port: 587, security: starttls}]
`
)

// writeFile replaces path's content with a rename, as an editor or a
// configuration management tool does.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	require.NoError(t, os.WriteFile(tmp, []byte(content), 0o600))
	require.NoError(t, os.Rename(tmp, path))
}

func configFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	writeFile(t, path, content)
	return path
}

func hasLine(logs, substr string) bool {
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, substr) {
			return true
		}
	}
	return false
}

var binary struct {
	once sync.Once
	path string
	err  error
}

// buildBinary builds mailautoconf once for the tests that run it as an
// operator does.
func buildBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		dir, err := os.MkdirTemp("", "mailautoconf-test-")
		if err != nil {
			binary.err = err
			return
		}
		binary.path = filepath.Join(dir, "mailautoconf")
		out, err := exec.Command("go", "build", "-o", binary.path, ".").CombinedOutput()
		if err != nil {
			binary.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	require.NoError(t, binary.err)
	return binary.path
}

// startBinary runs the built binary's serve with args, after the shell
// command limits (e.g. "ulimit -n 256", which lowers the soft and the hard
// limit, so that the Go runtime cannot raise it again) when not empty, and
// waits until ready answers 200. It is stopped at the end of the test.
func startBinary(t *testing.T, limits, ready string, args ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	bin := buildBinary(t)
	if limits == "" {
		limits = "true"
	}
	cmd := exec.Command("sh", append([]string{"-c", limits + ` && exec "$0" serve "$@"`, bin}, args...)...)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	client := &http.Client{Timeout: 5 * time.Second}
	require.Eventually(t, func() bool {
		resp, err := client.Get(ready)
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	}, 20*time.Second, 20*time.Millisecond, logs.String())
	return cmd, logs
}

// freeAddr is a loopback address with a port free a moment ago, for a
// binary to listen on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.path != "" {
		os.RemoveAll(filepath.Dir(binary.path))
	}
	os.Exit(code)
}
