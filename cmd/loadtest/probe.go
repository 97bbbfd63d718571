package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// The ordinary client of the floods runs in a process of its own, as a
// real client does. In the flood's own process its requests waited for
// the Go scheduler behind hundreds of busy flood goroutines: against a
// port nobody listens on, 1,000 sources dialling without pause gave an
// in-process probe p99 37 ms and a separate process 4.8 ms (2 cores,
// 2026-12-06). It measured the harness, not the service.

// probeFlags are those of the probe process (loadtest -probe URL).
type probeFlags struct {
	url      string
	every    time.Duration
	length   time.Duration
	newConns bool
}

func addProbeFlags(fs *flag.FlagSet) *probeFlags {
	var p probeFlags
	fs.StringVar(&p.url, "probe", "", "internal: run as the floods' ordinary client, GET this URL and print each latency")
	fs.DurationVar(&p.every, "probe-every", 10*time.Millisecond, "internal: the probe's pause between requests")
	fs.DurationVar(&p.length, "probe-for", 10*time.Second, "internal: how long the probe runs")
	fs.BoolVar(&p.newConns, "probe-new-conns", false, "internal: a new connection for each request (no keep-alive)")
	return &p
}

// runProbe GETs p.url every p.every for p.length and prints one line per
// request: its latency in nanoseconds, or "fail" when it was not answered
// 200 within 5 s.
func runProbe(p *probeFlags) {
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: p.newConns}}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	end := time.Now().Add(p.length)
	for time.Now().Before(end) {
		start := time.Now()
		// Its own 5 s, not the flood's end: a request still under way
		// when the flood ends is not a failed one.
		if get(context.Background(), client, p.url) == http.StatusOK {
			fmt.Fprintln(out, time.Since(start).Nanoseconds())
		} else {
			fmt.Fprintln(out, "fail")
		}
		time.Sleep(p.every)
	}
}

// probe is a running probe process.
type probe struct {
	cmd *exec.Cmd
	out strings.Builder
}

// startProbe starts a probe process GETting url every every for d.
func startProbe(url string, every, d time.Duration, newConns bool) (*probe, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	p := &probe{}
	p.cmd = exec.Command(self, "-probe", url, "-probe-every", every.String(), "-probe-for", d.String(),
		"-probe-new-conns="+strconv.FormatBool(newConns))
	p.cmd.Stdout, p.cmd.Stderr = &p.out, os.Stderr
	return p, p.cmd.Start()
}

// wait returns the latencies of the answered requests and the number of
// requests.
func (p *probe) wait() (answered []time.Duration, total int, err error) {
	if err := p.cmd.Wait(); err != nil {
		return nil, 0, fmt.Errorf("probe: %w", err)
	}
	for _, line := range strings.Fields(p.out.String()) {
		total++
		if ns, err := strconv.ParseInt(line, 10, 64); err == nil {
			answered = append(answered, time.Duration(ns))
		}
	}
	return answered, total, nil
}
