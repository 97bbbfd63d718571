package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// wrkRun is what one wrk run measured.
type wrkRun struct {
	rps      float64
	p99      time.Duration
	non2xx   int
	socketEr int
}

var (
	reRPS    = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	reP99    = regexp.MustCompile(`\s99%\s+([0-9.]+)(us|ms|s)`)
	reNon2xx = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	reSocket = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// runWrk runs wrk against url with the request described by script (a Lua
// file, may be empty).
func runWrk(url, script string, connections int, d time.Duration) (wrkRun, error) {
	args := []string{"-t1", "-c" + strconv.Itoa(connections), "-d" + strconv.Itoa(int(d.Seconds())) + "s", "--latency", "--timeout", "5s"}
	if script != "" {
		args = append(args, "-s", script)
	}
	args = append(args, url)
	var out bytes.Buffer
	cmd := exec.Command("wrk", args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return wrkRun{}, fmt.Errorf("wrk %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return parseWrk(out.String())
}

func parseWrk(s string) (wrkRun, error) {
	var r wrkRun
	m := reRPS.FindStringSubmatch(s)
	if m == nil {
		return r, fmt.Errorf("no Requests/sec in wrk output:\n%s", s)
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	if m := reP99.FindStringSubmatch(s); m != nil {
		v, _ := strconv.ParseFloat(m[1], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m[2]]
		r.p99 = time.Duration(v * float64(unit))
	}
	if m := reNon2xx.FindStringSubmatch(s); m != nil {
		r.non2xx, _ = strconv.Atoi(m[1])
	}
	if m := reSocket.FindStringSubmatch(s); m != nil {
		for _, g := range m[1:] {
			n, _ := strconv.Atoi(g)
			r.socketEr += n
		}
	}
	return r, nil
}

// luaScript writes the wrk script for a request: method, body, headers, and
// for distinct requests a path with a counter substituted for %d.
func luaScript(dir, name string, ep endpoint) (string, error) {
	var b strings.Builder
	if ep.method != "" && ep.method != "GET" {
		fmt.Fprintf(&b, "wrk.method = %q\n", ep.method)
	}
	if ep.body != "" {
		fmt.Fprintf(&b, "wrk.body = %s\n", luaLongString(ep.body))
	}
	if ep.contentType != "" {
		fmt.Fprintf(&b, "wrk.headers[\"Content-Type\"] = %q\n", ep.contentType)
	}
	if ep.distinct {
		fmt.Fprintf(&b, "local n = 0\nrequest = function()\n  n = n + 1\n  return wrk.format(nil, string.format(%q, n))\nend\n", ep.path)
	}
	if b.Len() == 0 {
		return "", nil
	}
	path := filepath.Join(dir, name+".lua")
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

func luaLongString(s string) string {
	eq := ""
	for strings.Contains(s, "]"+eq+"]") {
		eq += "="
	}
	return "[" + eq + "[" + s + "]" + eq + "]"
}
