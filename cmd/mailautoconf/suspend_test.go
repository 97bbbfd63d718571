package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A client that goes on sending requests the service refuses (here 404s,
// as a scanner would) is suspended after --suspend-after of them: its
// keep-alive connection is closed after the answer in progress, and its
// new ones at accept, while another client is served as before.
func TestServe_SuspendsAClientRefusedTooOften(t *testing.T) {
	o := testOptions(t)
	o.configPath = configFile(t, configA)
	o.suspendAfter, o.suspendFor = 5, time.Minute
	rs := startServer(t, o)
	addr := rs.mainLn.Addr().String()

	scanner := dialSource(t, addr, "127.0.0.2")
	r := bufio.NewReader(scanner)
	for i := range 6 {
		fmt.Fprintf(scanner, "GET /wp-login-%d.php HTTP/1.1\r\nHost: autoconfig.example.com\r\n\r\n", i)
		resp, err := http.ReadResponse(r, nil)
		require.NoError(t, err, "request %d is answered", i+1)
		resp.Body.Close()
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	}
	scanner.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := r.ReadByte()
	require.Error(t, err)
	assert.False(t, isTimeout(err), "the 6th refusal closed the connection")

	again := dialSource(t, addr, "127.0.0.2")
	fmt.Fprintf(again, "GET /mail/config-v1.1.xml?emailaddress=jane@example.com HTTP/1.1\r\nHost: autoconfig.example.com\r\n\r\n")
	again.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = http.ReadResponse(bufio.NewReader(again), nil)
	require.Error(t, err, "a new connection is closed at accept, with no answer")
	assert.False(t, isTimeout(err))

	other := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.3")}}).DialContext}}
	status, _ := get(t, other, rs.url("/mail/config-v1.1.xml?emailaddress=jane@example.com"))
	assert.Equal(t, http.StatusOK, status, "another client is served")

	_, scrape := get(t, http.DefaultClient, rs.privateURL("/metrics"))
	assert.Equal(t, 1.0, metricValue(t, scrape, "mailautoconf_clients_suspended"))
	assert.Equal(t, 1.0, metricValue(t, scrape, "mailautoconf_client_suspensions_total"))
	assert.Equal(t, 1.0, metricValue(t, scrape, `mailautoconf_refused_total{reason="suspended"}`))

	rs.refusals.Flush()
	assert.Contains(t, rs.logs.String(), "client=127.0.0.2 suspended=1 not_found=6 total=7")
}

// dialSource connects to addr from source (all of 127.0.0.0/8 is loopback
// on Linux).
func dialSource(t *testing.T, addr, source string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
