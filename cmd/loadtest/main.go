// Command loadtest measures mailautoconf against a bare net/http server that
// returns the same bytes, with wrk, on this machine's loopback.
//
// It builds and starts `mailautoconf serve` (unsigned, and signed with
// throwaway ECDSA P-256 and RSA-2048 certificates), fetches each endpoint's
// response once, starts a bare server answering those exact bytes, then runs
// wrk on the bare server and the service alternately and prints the ratios
// against the targets of the performance issue. It is a benchmark, not a
// test: nothing in CI runs it.
//
//	go run ./cmd/loadtest                  # every endpoint, 10 s per run
//	go run ./cmd/loadtest -only thunderbird -duration 5s
//	go run ./cmd/loadtest -memory          # plus the 60 s / 256-connection memory run
//	go run ./cmd/loadtest -only none -flood 10s  # the abuse floods only
//	go run ./cmd/loadtest -only none -budget-flood 10s  # the page, 400 and /tls/allowed floods
//	go run ./cmd/loadtest -only none -conn-flood 10s  # the connection floods only
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

type options struct {
	binary      string
	duration    time.Duration
	connections int
	rounds      int
	only        string
	memory      bool
	scale       bool
	flood       time.Duration
	budgetFlood time.Duration
	connFlood   time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.binary, "binary", "", "mailautoconf binary to test (default: build ./cmd/mailautoconf)")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each wrk run")
	flag.IntVar(&o.connections, "connections", 64, "wrk connections (-c); wrk uses one thread (-t1)")
	flag.IntVar(&o.rounds, "rounds", 2, "alternating bare/service runs per endpoint; the best of each counts")
	flag.StringVar(&o.only, "only", "", "comma-separated endpoint names to run (default: all)")
	flag.BoolVar(&o.memory, "memory", false, "also run 60 s at 256 connections and report the service's RSS")
	flag.BoolVar(&o.scale, "scale", false, "also load a 100,000-domain configuration and report time and RSS")
	flag.DurationVar(&o.flood, "flood", 0, "also run the abuse floods (MX, 429, QR from many source addresses), this long each")
	flag.DurationVar(&o.budgetFlood, "budget-flood", 0, "also run the page, 400 and /tls/allowed floods (pages from 1,000 source addresses), this long each")
	flag.DurationVar(&o.connFlood, "conn-flood", 0, "also run the connection floods (idle keep-alive connections from many source addresses against a lowered descriptor limit), this long each")
	probeOpts := addProbeFlags(flag.CommandLine)
	flag.Parse()
	log.SetFlags(0)
	if probeOpts.url != "" {
		runProbe(probeOpts)
		return
	}

	if _, err := exec.LookPath("wrk"); err != nil {
		log.Fatal("loadtest needs wrk (Debian package wrk): apt-get install -y wrk")
	}
	work, err := os.MkdirTemp("", "mailautoconf-load-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)

	if o.binary == "" {
		o.binary = filepath.Join(work, "mailautoconf")
		// Built as the Dockerfile builds it: what ships is what is measured.
		log.Printf("building %s (static, -tags nomsgpack, stripped)", o.binary)
		build := exec.Command("go", "build", "-trimpath", "-tags", "nomsgpack", "-ldflags", "-s -w", "-o", o.binary, "./cmd/mailautoconf")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			log.Fatalf("building mailautoconf: %v", err)
		}
	}

	var selected []endpoint
	needed := []string{"plain"}
	for _, ep := range endpoints() {
		if o.only != "" && !contains(strings.Split(o.only, ","), ep.name) {
			continue
		}
		selected = append(selected, ep)
		if !contains(needed, ep.service) {
			needed = append(needed, ep.service)
		}
	}
	services, err := startServices(o.binary, work, needed)
	if err != nil {
		log.Fatal(err)
	}
	defer services.stop()

	var results []result
	for _, ep := range selected {
		r, err := measure(ep, services, o)
		if err != nil {
			log.Fatalf("%s: %v", ep.name, err)
		}
		results = append(results, r)
	}
	printResults(os.Stdout, results, o)

	if o.memory {
		if err := memoryRun(services, os.Stdout); err != nil {
			log.Fatal(err)
		}
	}
	if o.flood > 0 {
		if err := floodRuns(o.binary, work, o.flood, os.Stdout); err != nil {
			log.Fatal(err)
		}
	}
	if o.budgetFlood > 0 {
		if err := budgetFloodRuns(o.binary, work, o.budgetFlood, os.Stdout); err != nil {
			log.Fatal(err)
		}
	}
	if o.connFlood > 0 {
		if err := connFloodRuns(o.binary, work, o.connFlood, os.Stdout); err != nil {
			log.Fatal(err)
		}
	}
	if o.scale {
		if err := scaleRun(o.binary, work, os.Stdout); err != nil {
			log.Fatal(err)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.TrimSpace(v) == s {
			return true
		}
	}
	return false
}

func printResults(w *os.File, results []result, o options) {
	fmt.Fprintf(w, "\nwrk -t1 -c%d -d%s, best of %d alternating runs each\n\n", o.connections, o.duration, o.rounds)
	fmt.Fprintf(w, "%-26s %12s %12s %8s %10s %10s  %s\n", "endpoint", "bare req/s", "svc req/s", "ratio", "svc p99", "target", "")
	for _, r := range results {
		fmt.Fprintf(w, "%-26s %12.0f %12.0f %8.2f %10s %10s  %s\n",
			r.endpoint.name, r.bare.rps, r.service.rps, r.ratio(), r.service.p99.Round(10*time.Microsecond),
			r.endpoint.target.String(), r.verdict())
	}
}
