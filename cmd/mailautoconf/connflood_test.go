package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServe_ConnectionFloodLeavesThePrivateListenerAnswering is the first
// point of the second abuse round: idle keep-alive connections from many
// addresses took every descriptor, and no listener accepted, /healthz
// included. The binary runs with 256 descriptors (so 128 connections,
// the rest in reserve) and gets 20 keep-alive connections from one
// loopback address, then 240 from 24 others, every one of which sends a
// request and stays open.
func TestServe_ConnectionFloodLeavesThePrivateListenerAnswering(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	addr, private := freeAddr(t), freeAddr(t)
	healthz := "http://" + private + "/healthz"
	autoconfig := "http://" + addr + "/mail/config-v1.1.xml?emailaddress=jane@example.com"
	cmd, logs := startBinary(t, "ulimit -n 256", autoconfig, "--config", configFile(t, configA),
		"--listen", addr, "--private-listen", private, "--watch-config=false", "--max-client-connections", "16")
	client := &http.Client{Timeout: 5 * time.Second}

	var flood sync.WaitGroup
	var mu sync.Mutex
	var held []net.Conn
	t.Cleanup(func() {
		for _, c := range held {
			c.Close()
		}
	})
	hold := func(source string, n int) {
		for range n {
			if c := idleConnection(addr, source); c != nil {
				mu.Lock()
				held = append(held, c)
				mu.Unlock()
			}
		}
	}
	// One address past its share, then many past the global limit.
	hold("127.0.1.1", 20)
	for source := range 24 {
		flood.Go(func() { hold(fmt.Sprintf("127.0.2.%d", source+1), 10) })
	}
	flood.Wait()

	for range 5 {
		status, _ := get(t, client, healthz)
		assert.Equal(t, http.StatusOK, status, "the private listener answers during the flood")
	}
	status, _ := get(t, client, autoconfig)
	assert.Equal(t, http.StatusOK, status, "an ordinary request takes the place of an idle connection")

	_, scrape := get(t, client, "http://"+private+"/metrics")
	assert.Equal(t, 128.0, metricValue(t, scrape, "mailautoconf_connections_limit"), "256 descriptors less 128 in reserve")
	assert.LessOrEqual(t, metricValue(t, scrape, "mailautoconf_connections_open"), 128.0)
	assert.Equal(t, 4.0, metricValue(t, scrape, `mailautoconf_refused_total{reason="client_connections"}`),
		"the 4 connections of the first address over its 16")
	assert.Positive(t, metricValue(t, scrape, "mailautoconf_connections_idle_closed_total"))

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait())
	out := logs.String()
	assert.NotContains(t, out, "too many open files")
	assert.Equal(t, 1, strings.Count(out, "client=127.0.1.1 client_connections=4 total=4"), "one summed-up line, not one per connection")
}

// idleConnection opens a connection from source, sends a request and
// keeps the connection once answered; nil when the server closed it.
func idleConnection(addr, source string) net.Conn {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "GET /mail/config-v1.1.xml?emailaddress=a@example.com HTTP/1.1\r\nHost: autoconfig.example.com\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		c.Close()
		return nil
	}
	resp.Body.Close()
	c.SetDeadline(time.Time{})
	return c
}

// metricValue is the value of the series named exactly name (labels
// included) in a scrape.
func metricValue(t *testing.T, scrape, name string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindStringSubmatch(scrape)
	require.NotNil(t, m, "%s is not in the scrape", name)
	v, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	return v
}
