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
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// The flood runs of the abuse issue: many source addresses (127.0.0.2 and
// up: all of 127.0.0.0/8 is loopback on Linux) against one instance, while
// one ordinary client measures autoconfig latency. Each reports what the
// service answered, what it cost (DNS queries, log lines) and the latency.

// floodSources is the number of source addresses of the "many" floods.
const floodSources = 200

// floodConfig serves example.ch by listing and any domain whose MX is
// mx.accepted.example by accept.mx.
const floodConfig = `providers:
  - id: example.ch
    display_name: Example
    domains: [example.ch]
    accept:
      mx: [mx.accepted.example]
    incoming: [{protocol: imap, host: imap.example.ch, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: smtp.example.ch, port: 587, security: starttls}]
`

func floodRuns(binary, work string, d time.Duration, w io.Writer) error {
	dnsSrv, err := startCountingDNS()
	if err != nil {
		return err
	}
	defer dnsSrv.shutdown()
	cfg := filepath.Join(work, "flood.yaml")
	if err := os.WriteFile(cfg, []byte(floodConfig), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nfloods, %s each, %d source addresses for \"many\"; latency of one ordinary client's autoconfig GETs meanwhile\n\n", d, floodSources)
	fmt.Fprintf(w, "%-42s %8s %8s %8s %8s %8s %9s %9s %8s %8s %8s\n",
		"run", "req", "200", "404", "429", "503", "DNS q", "log lines", "p50", "p95", "p99")
	// The old render gate: one render per core, callers wait without bound.
	oldRenders := []string{"--render-slots", strconv.Itoa(runtime.NumCPU()), "--render-queue", "1000000", "--render-wait", "1h"}
	runs := []struct {
		name    string
		flags   []string
		sources int
		rate    int // requests a second, all sources together; 0: as fast as they can
		path    string
	}{
		{"MX flood, unique names, 1 source", nil, 1, 0, "/mail/config-v1.1.xml?emailaddress=a@r%d.victim.example"},
		{"MX flood, unique names, many sources", nil, floodSources, 0, "/mail/config-v1.1.xml?emailaddress=a@r%d.victim.example"},
		{"429 flood, 1 source (rate-limited route)", nil, 1, 0, "/qr.png?client=apple-ios&email=a@example.ch"},
		{"QR, distinct, many sources, 1500/s", nil, floodSources, 1500, "/qr.png?client=apple-ios&email=u%d@example.ch"},
		{"  same, old gate (1 render/core, waits)", oldRenders, floodSources, 1500, "/qr.png?client=apple-ios&email=u%d@example.ch"},
		{"QR, distinct, many sources, unpaced", nil, floodSources, 0, "/qr.png?client=apple-ios&email=u%d@example.ch"},
		{"  same, old gate (1 render/core, waits)", oldRenders, floodSources, 0, "/qr.png?client=apple-ios&email=u%d@example.ch"},
		{"no flood (baseline latency)", nil, 0, 0, ""},
	}
	for _, r := range runs {
		inst, err := startFloodInstance(binary, work, cfg, dnsSrv.addr, r.flags)
		if err != nil {
			return err
		}
		before := dnsSrv.queries.Load()
		res, err := flood(inst.base, inst.base, r.path, r.sources, r.rate, d)
		if err != nil {
			inst.stopAndCountLines()
			return err
		}
		lines, err := inst.stopAndCountLines()
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%-42s %8d %8d %8d %8d %8d %9d %9d %8s %8s %8s\n", r.name,
			res.sent, res.status[200], res.status[404], res.status[429], res.status[503],
			dnsSrv.queries.Load()-before, lines,
			res.quantile(0.5), res.quantile(0.95), res.quantile(0.99))
	}
	return nil
}

// floodInstance is one mailautoconf serving the flood configuration.
type floodInstance struct {
	cmd  *exec.Cmd
	base string
	log  string
}

func startFloodInstance(binary, work, cfg, resolver string, flags []string) (*floodInstance, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(work, "flood.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	// Default limits: the floods measure them.
	args := append([]string{"serve", "--listen", addr, "--config", cfg, "--resolver", resolver}, flags...)
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	inst := &floodInstance{cmd: cmd, base: "http://" + addr, log: logPath}
	if err := waitReady(inst.base); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, err
	}
	return inst, nil
}

// stopAndCountLines stops the instance (SIGTERM: it writes the refusals it
// summed up) and counts the lines it logged.
func (f *floodInstance) stopAndCountLines() (int, error) {
	f.cmd.Process.Signal(os.Interrupt)
	f.cmd.Wait()
	file, err := os.Open(f.log)
	if err != nil {
		return 0, err
	}
	defer file.Close()
	n := 0
	sc := bufio.NewScanner(file)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		n++
	}
	return n, sc.Err()
}

type floodResult struct {
	sent      int
	status    map[int]int
	latencies []time.Duration
}

func (r floodResult) quantile(q float64) string {
	if len(r.latencies) == 0 {
		return "-"
	}
	return r.latencies[int(q*float64(len(r.latencies)-1))].Round(10 * time.Microsecond).String()
}

// flood sends path (%d: a request counter, so every request differs) to
// target from sources addresses, one connection each, rate requests a
// second in all (0: as fast as they can), for d, while one client in a
// process of its own (probe.go) asks base for an ordinary autoconfig
// document every 10 ms on a keep-alive connection.
func flood(base, target, path string, sources, rate int, d time.Duration) (floodResult, error) {
	ordinary, err := startProbe(base+"/mail/config-v1.1.xml?emailaddress=jane@example.ch", 10*time.Millisecond, d, false)
	if err != nil {
		return floodResult{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var counter atomic.Int64
	var mu sync.Mutex
	res := floodResult{status: map[int]int{}}
	var wg sync.WaitGroup
	for i := range sources {
		client := sourceClient(net.IPv4(127, 0, byte((i+2)/256), byte((i+2)%256)))
		wg.Go(func() {
			var tick <-chan time.Time
			if rate > 0 {
				t := time.NewTicker(time.Duration(sources) * time.Second / time.Duration(rate))
				defer t.Stop()
				tick = t.C
			}
			for ctx.Err() == nil {
				if tick != nil {
					select {
					case <-tick:
					case <-ctx.Done():
						return
					}
				}
				url := target + fmt.Sprintf(path, counter.Add(1))
				if !containsVerb(path) {
					url = target + path
				}
				status := get(ctx, client, url)
				mu.Lock()
				res.sent++
				res.status[status]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.latencies, _, err = ordinary.wait()
	slices.Sort(res.latencies)
	return res, err
}

func containsVerb(path string) bool {
	for i := 0; i+1 < len(path); i++ {
		if path[i] == '%' && path[i+1] == 'd' {
			return true
		}
	}
	return false
}

// sourceClient makes its connections from ip.
func sourceClient(ip net.IP) *http.Client {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}}
	return &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: 1},
	}
}

// get returns the status of a GET, or 0 when the request failed.
func get(ctx context.Context, c *http.Client, url string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// countingDNS answers every query NXDOMAIN (a random-subdomain flood's
// names do not exist) and counts them: the queries the service relayed.
type countingDNS struct {
	addr    string
	queries atomic.Int64
	server  *dns.Server
}

func startCountingDNS() (*countingDNS, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c := &countingDNS{addr: pc.LocalAddr().String()}
	c.server = &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		c.queries.Add(1)
		resp := new(dns.Msg)
		resp.SetRcode(req, dns.RcodeNameError)
		soa, _ := dns.NewRR("victim.example. 300 IN SOA ns.victim.example. hostmaster.victim.example. 1 7200 900 1209600 300")
		resp.Ns = append(resp.Ns, soa)
		w.WriteMsg(resp)
	})}
	go c.server.ActivateAndServe()
	return c, nil
}

func (c *countingDNS) shutdown() { c.server.Shutdown() }
