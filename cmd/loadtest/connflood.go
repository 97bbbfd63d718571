package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The connection floods of the second abuse round: many loopback source
// addresses each hold keep-alive connections open (one request, then
// idle; reconnecting at once when the service closes one) against an
// instance with a lowered descriptor limit, while the private /healthz
// and an ordinary client's autoconfig GETs (a new connection each, as a
// mail client's first request) are measured.

// connFloodDescriptors is the instance's descriptor limit (ulimit -n):
// low enough for the flood to pass it, with the load harness's own
// descriptors (one per flood connection) well within its limit.
const connFloodDescriptors = 4096

func connFloodRuns(binary, work string, d time.Duration, w io.Writer) error {
	cfg := filepath.Join(work, "conns.yaml")
	if err := os.WriteFile(cfg, []byte(floodConfig), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nconnection floods, %s each, instance at ulimit -n %d; private /healthz every 50 ms and an ordinary client's autoconfig GET (new connection) every 10 ms meanwhile, 5 s timeouts\n\n", d, connFloodDescriptors)
	fmt.Fprintf(w, "%-46s %9s %9s %10s %12s %8s %8s\n", "run", "attempts", "held", "healthz", "autoconfig", "p50", "p99")
	unlimited := []string{"--max-connections", "1000000", "--max-client-connections", "0", "--busy-idle-timeout", "0"}
	if hasFlag(binary, "suspend-after") {
		unlimited = append(unlimited, "--suspend-after", "0")
	}
	runs := []struct {
		name             string
		flags            []string
		sources, perConn int
		// floor: the flood dials a port nobody listens on (refused by the
		// kernel, then 100 ms apart), the probes go to the service: what
		// the flood client alone costs the machine.
		floor bool
	}{
		{"500 sources x 10 idle, no limits (before)", unlimited, 500, 10, false},
		{"500 sources x 10 idle, default limits", nil, 500, 10, false},
		// 64 per client against 64,512 connections (LimitNOFILE=65536),
		// scaled to this instance's 3,584.
		{"  same, --max-client-connections 4 (scaled)", []string{"--max-client-connections", "4"}, 500, 10, false},
		{"1 source x 1000 idle, default limits", nil, 1, 1000, false},
		{"floor: 500 x 10 dialling a closed port", nil, 500, 10, true},
		{"no flood (baseline)", nil, 0, 0, false},
	}
	for _, r := range runs {
		res, err := connFlood(binary, cfg, r.flags, r.sources, r.perConn, r.floor, d)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%-46s %9d %9d %10s %12s %8s %8s\n", r.name, res.attempts, res.held,
			fmt.Sprintf("%d/%d", res.healthOK, res.healthTotal),
			fmt.Sprintf("%d/%d", len(res.ordinary.latencies), res.ordinaryTotal),
			res.ordinary.quantile(0.5), res.ordinary.quantile(0.99))
	}
	return nil
}

type connFloodResult struct {
	attempts, held        int64 // connections opened; most held at once
	healthOK, healthTotal int
	ordinaryTotal         int
	ordinary              floodResult // latencies of the answered ones
}

// connFlood starts an instance under the lowered descriptor limit and
// floods it (or, for floor, a closed port) from sources addresses
// (127.0.3.0 and up), perSource connections each, for d.
func connFlood(binary, cfg string, flags []string, sources, perSource int, floor bool, d time.Duration) (connFloodResult, error) {
	var res connFloodResult
	addr, err := freeAddr()
	if err != nil {
		return res, err
	}
	private, err := freeAddr()
	if err != nil {
		return res, err
	}
	args := append([]string{"-c", "ulimit -n " + strconv.Itoa(connFloodDescriptors) + ` && exec "$0" serve "$@"`, binary,
		"--listen", addr, "--private-listen", private, "--config", cfg, "--resolver", "127.0.0.1:1", "--log-format", "json"}, flags...)
	cmd := exec.Command("sh", args...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return res, err
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	base := "http://" + addr
	if err := waitReady(base); err != nil {
		return res, err
	}

	// Both probes in processes of their own (probe.go), a new connection
	// each time: a load balancer's probe, a mail client's first request
	// (keep-alive would hide the accept).
	health, err := startProbe("http://"+private+"/healthz", 50*time.Millisecond, d, true)
	if err != nil {
		return res, err
	}
	ordinary, err := startProbe(base+"/mail/config-v1.1.xml?emailaddress=jane@example.ch", 10*time.Millisecond, d, true)
	if err != nil {
		return res, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	target := addr
	if floor {
		if target, err = freeAddr(); err != nil {
			return res, err
		}
	}
	var attempts, open, held atomic.Int64
	var wg sync.WaitGroup
	for i := range sources * perSource {
		src := net.IPv4(127, 0, byte(3+(i%sources)/256), byte((i%sources)%256))
		wg.Go(func() { holdIdle(ctx, target, src, &attempts, &open, &held) })
	}
	wg.Wait()
	healthOK, healthTotal, err := health.wait()
	if err != nil {
		return res, err
	}
	res.healthOK, res.healthTotal = len(healthOK), healthTotal
	if res.ordinary.latencies, res.ordinaryTotal, err = ordinary.wait(); err != nil {
		return res, err
	}
	res.attempts, res.held = attempts.Load(), held.Load()
	slices.Sort(res.ordinary.latencies)
	return res, nil
}

// holdIdle keeps one connection from src open: a request, then idle until
// the service closes it, then again, until ctx ends.
func holdIdle(ctx context.Context, addr string, src net.IP, attempts, open, peak *atomic.Int64) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: time.Second}
	for ctx.Err() == nil {
		attempts.Add(1)
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		stop := context.AfterFunc(ctx, func() { c.Close() })
		fmt.Fprintf(c, "GET /mail/config-v1.1.xml?emailaddress=a@example.ch HTTP/1.1\r\nHost: autoconfig.example.ch\r\n\r\n")
		r := bufio.NewReader(c)
		if resp, err := http.ReadResponse(r, nil); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			n := open.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			r.ReadByte() // until the service closes it (or ctx ends)
			open.Add(-1)
		} else {
			time.Sleep(100 * time.Millisecond) // refused: try again soon
		}
		stop()
		c.Close()
	}
}
