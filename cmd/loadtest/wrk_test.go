package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wrkOutput is what wrk 4.1 prints with --latency (trimmed).
const wrkOutput = `Running 3s test @ http://127.0.0.1:18080/mail/config-v1.1.xml
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.02ms  512.33us  12.01ms   80.12%
  Latency Distribution
     50%  0.93ms
     75%    1.20ms
     90%    1.61ms
     99%  820.00us
  190512 requests in 3.00s, 302.11MB read
  Non-2xx or 3xx responses: 12
  Socket errors: connect 0, read 2, write 0, timeout 1
Requests/sec:  63500.25
Transfer/sec:    100.70MB
`

func TestParseWrk(t *testing.T) {
	r, err := parseWrk(wrkOutput)
	require.NoError(t, err)
	assert.InDelta(t, 63500.25, r.rps, 0.001)
	assert.Equal(t, 820*time.Microsecond, r.p99)
	assert.Equal(t, 12, r.non2xx)
	assert.Equal(t, 3, r.socketEr)

	_, err = parseWrk("wrk: connection refused")
	assert.Error(t, err)
}

func TestVerdict(t *testing.T) {
	ratio := endpoint{target: target{ratio: 0.9, p99: 10 * time.Millisecond}}
	assert.Equal(t, "PASS", result{endpoint: ratio, bare: wrkRun{rps: 100}, service: wrkRun{rps: 95, p99: time.Millisecond}}.verdict())
	assert.Equal(t, "FAIL: below target", result{endpoint: ratio, bare: wrkRun{rps: 100}, service: wrkRun{rps: 80}}.verdict())
	assert.Contains(t, result{endpoint: ratio, bare: wrkRun{rps: 100}, service: wrkRun{rps: 95, p99: time.Second}}.verdict(), "p99 over 10ms")
	abs := endpoint{target: target{rps: 1000}}
	assert.Equal(t, "PASS", result{endpoint: abs, bare: wrkRun{rps: 9000}, service: wrkRun{rps: 1200}}.verdict())
	assert.Contains(t, result{endpoint: abs, service: wrkRun{rps: 1200, non2xx: 1}}.verdict(), "1 non-2xx")
}

func TestLuaScript(t *testing.T) {
	dir := t.TempDir()
	path, err := luaScript(dir, "post", endpoint{method: "POST", body: "<a>]]</a>", contentType: "text/xml"})
	require.NoError(t, err)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), `wrk.method = "POST"`)
	assert.Contains(t, string(data), "wrk.body = [=[<a>]]</a>]=]", "a body containing ]] gets a longer bracket")

	path, err = luaScript(dir, "distinct", endpoint{path: "/qr.png?email=user%d@example.ch", distinct: true})
	require.NoError(t, err)
	data, err = os.ReadFile(filepath.Clean(path))
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(data), `string.format("/qr.png?email=user%d@example.ch", n)`))

	path, err = luaScript(dir, "get", endpoint{path: "/x"})
	require.NoError(t, err)
	assert.Empty(t, path, "a plain GET needs no script")
}
