package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// A flood of refused requests and connections (429, 413, failed TLS
// handshakes) writes a bounded number of log lines: one per client, with
// the counts, when the interval ends (here: at shutdown). Served requests
// keep their line.
func TestServe_RefusalFloodWritesBoundedLog(t *testing.T) {
	certPath, keyPath, _ := testkit.WriteValidServerCert(t, t.TempDir(), "autoconfig.example.com")
	o := testOptions(t)
	o.tlsCert, o.tlsKey = certPath, keyPath
	o.rateLimit, o.rateBurst = "1/h", 1
	o.maxClientConns = 0 // the 100 handshakes at once come from one address
	rs := startServer(t, o)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}

	const limited, tooLarge, handshakes = 300, 50, 100
	statuses := map[int]int{}
	for range limited + 1 {
		status, _ := get(t, client, rs.url("/qr.png?email=jane@example.com&client=apple-ios"))
		statuses[status]++
	}
	big := strings.Repeat("x", DefaultMaxBodyBytes+1)
	for range tooLarge {
		resp, err := client.Post(rs.url("/Autodiscover/Autodiscover.xml"), "text/xml", strings.NewReader(big))
		require.NoError(t, err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		statuses[resp.StatusCode]++
	}
	var wg sync.WaitGroup
	for range handshakes {
		wg.Go(func() {
			// Plain HTTP to the TLS port: a failed handshake.
			conn, err := net.Dial("tcp", rs.mainLn.Addr().String())
			if !assert.NoError(t, err) {
				return
			}
			defer conn.Close()
			fmt.Fprint(conn, "GET / HTTP/1.0\r\n\r\n")
			io.Copy(io.Discard, conn)
		})
	}
	wg.Wait()
	assert.Equal(t, map[int]int{200: 1, 429: limited, 413: tooLarge}, statuses)

	// net/http closes a failed handshake's connection before it logs it.
	want := []string{
		fmt.Sprintf(`mailautoconf_refused_total{reason="rate_limited"} %d`, limited),
		fmt.Sprintf(`mailautoconf_refused_total{reason="too_large"} %d`, tooLarge),
		fmt.Sprintf(`mailautoconf_refused_total{reason="tls_handshake"} %d`, handshakes),
	}
	assert.Eventually(t, func() bool {
		_, metrics := get(t, client, rs.privateURL("/metrics"))
		for _, w := range want {
			if !strings.Contains(metrics, w) {
				return false
			}
		}
		return true
	}, 5*time.Second, 20*time.Millisecond, "refusals counted in the metrics")

	rs.stop()
	select {
	case err := <-rs.done:
		require.NoError(t, err)
		rs.done <- err // for the cleanup
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not stop")
	}
	var refusedLines, requestLines, lines int
	sc := bufio.NewScanner(strings.NewReader(rs.logs.String()))
	for sc.Scan() {
		lines++
		switch line := sc.Text(); {
		case strings.Contains(line, "msg=\"requests refused\""):
			refusedLines++
			assert.Contains(t, line, "client=127.0.0.1")
			assert.Contains(t, line, fmt.Sprintf("rate_limited=%d too_large=%d tls_handshake=%d total=%d", limited, tooLarge, handshakes, limited+tooLarge+handshakes))
		case strings.Contains(line, "msg=request "):
			requestLines++
		}
	}
	assert.Equal(t, 1, refusedLines, rs.logs.String())
	assert.GreaterOrEqual(t, requestLines, 1, "the QR code keeps its line")
	assert.Less(t, lines, 20, "not one line per refusal")
}

// Many clients together cannot queue renders without bound: past the
// global render budget, a QR code is refused at once with 503 and
// Retry-After, summed up in the log, never a wait or another 5xx.
func TestEngine_RenderBudgetRefusesWith503(t *testing.T) {
	old := httpkit.DefaultRenderBudget()
	httpkit.SetRenderBudget(httpkit.RenderBudget{Slots: 1, Queue: 0})
	t.Cleanup(func() { httpkit.SetRenderBudget(old) })
	logs := &syncBuffer{}
	s := siteFor(autoconfig.Default())
	s.logOutput = logs
	h := newHandler(s)
	statuses := make(chan int, 64)
	var wg sync.WaitGroup
	for i := range cap(statuses) {
		wg.Go(func() {
			// Distinct sizes: nothing cached, every request renders.
			req := httptest.NewRequest(http.MethodGet, fmt.Sprintf("/qr.png?client=apple-ios&email=jane@example.com&size=%d", 200+i), nil)
			req.RemoteAddr = fmt.Sprintf("127.0.0.%d:1234", i+2)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code == http.StatusServiceUnavailable {
				assert.Equal(t, "1", w.Header().Get("Retry-After"))
			}
			statuses <- w.Code
		})
	}
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for code := range statuses {
		counts[code]++
	}
	assert.Positive(t, counts[http.StatusOK])
	assert.Positive(t, counts[http.StatusServiceUnavailable], "some refused: one slot, no queue")
	assert.Equal(t, cap(statuses), counts[http.StatusOK]+counts[http.StatusServiceUnavailable])
	assert.Equal(t, counts[http.StatusOK], strings.Count(logs.String(), "msg=request "), "only served requests have a line")
}
