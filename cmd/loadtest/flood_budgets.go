package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The floods of issue 28's points 2 to 4: wizard pages for distinct
// addresses from 1,000 source addresses, bad requests (400) from many, and
// GET /tls/allowed for made-up names under a wildcard domain. Each reports
// the answers, the DNS queries relayed, the log lines written and the
// latency of one ordinary client's autoconfig GETs meanwhile.

// pageFloodSources is the number of source addresses of the page flood.
const pageFloodSources = 1000

// budgetFloodConfig adds a wildcard domain and a service host to the
// flood configuration: every name autoconfig.rN.wild.example passes the
// configuration and costs the pointer check its queries.
const budgetFloodConfig = `service_host: mail-setup.example.ch
providers:
  - id: example.ch
    display_name: Example
    domains: [example.ch, "*.wild.example"]
    incoming: [{protocol: imap, host: imap.example.ch, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: smtp.example.ch, port: 587, security: starttls}]
`

func budgetFloodRuns(binary, work string, d time.Duration, w io.Writer) error {
	dnsSrv, err := startCountingDNS()
	if err != nil {
		return err
	}
	defer dnsSrv.shutdown()
	cfg := filepath.Join(work, "budget-flood.yaml")
	if err := os.WriteFile(cfg, []byte(budgetFloodConfig), 0o644); err != nil {
		return err
	}
	// The binary of the base commit has no --public-tls-allowed: its
	// /tls/allowed is public anyway.
	var tlsAllowed []string
	if hasFlag(binary, "public-tls-allowed") {
		tlsAllowed = []string{"--public-tls-allowed"}
	}
	fmt.Fprintf(w, "\nbudget floods, %s each; latency of one ordinary client's autoconfig GETs meanwhile\n\n", d)
	fmt.Fprintf(w, "%-44s %8s %8s %8s %8s %8s %8s %9s %9s %8s %8s %8s\n",
		"run", "req", "200", "400", "403", "429", "503", "DNS q", "log lines", "p50", "p95", "p99")
	runs := []struct {
		name    string
		flags   []string
		sources int
		path    string
		// floor: the flood goes to a port nobody listens on, the probe to
		// the service: what the flood client alone costs the machine.
		floor bool
	}{
		{"pages /sheet, distinct, 1000 sources", nil, pageFloodSources, "/sheet?email=u%d@example.ch", false},
		{"pages /setup/CLIENT, distinct, 1000 sources", nil, pageFloodSources, "/setup/thunderbird?email=u%d@example.ch", false},
		{"400 flood, 200 sources", nil, floodSources, "/mail/config-v1.1.xml?emailaddress=not-an-address-%d", false},
		{"/tls/allowed, wildcard names, 1 source", tlsAllowed, 1, "/tls/allowed?domain=autoconfig.r%d.wild.example", false},
		{"/tls/allowed, wildcard names, 200 sources", tlsAllowed, floodSources, "/tls/allowed?domain=autoconfig.r%d.wild.example", false},
		{"floor: 1000 sources to a closed port", nil, pageFloodSources, "/sheet?email=u%d@example.ch", true},
		{"floor: 200 sources to a closed port", nil, floodSources, "/sheet?email=u%d@example.ch", true},
		{"no flood (baseline latency)", nil, 0, "", false},
	}
	for _, r := range runs {
		inst, err := startFloodInstance(binary, work, cfg, dnsSrv.addr, r.flags)
		if err != nil {
			return err
		}
		before := dnsSrv.queries.Load()
		target := inst.base
		if r.floor {
			closed, err := freeAddr()
			if err != nil {
				return err
			}
			target = "http://" + closed
		}
		res, err := flood(inst.base, target, r.path, r.sources, 0, d)
		if err != nil {
			inst.stopAndCountLines()
			return err
		}
		lines, err := inst.stopAndCountLines()
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%-44s %8d %8d %8d %8d %8d %8d %9d %9d %8s %8s %8s\n", r.name,
			res.sent, res.status[200], res.status[400], res.status[403], res.status[429], res.status[503],
			dnsSrv.queries.Load()-before, lines,
			res.quantile(0.5), res.quantile(0.95), res.quantile(0.99))
	}
	return nil
}

// hasFlag reports whether binary's serve command knows --name.
func hasFlag(binary, name string) bool {
	out, _ := exec.Command(binary, "serve", "--help").CombinedOutput()
	return strings.Contains(string(out), "-"+name)
}
