package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// target is either a ratio to the bare server or an absolute rate.
type target struct {
	ratio float64 // ≥ ratio × bare req/s
	rps   float64 // ≥ rps req/s
	p99   time.Duration
}

func (t target) String() string {
	if t.rps > 0 {
		return fmt.Sprintf("≥%.0f/s", t.rps)
	}
	return fmt.Sprintf("≥%.2f×", t.ratio)
}

// endpoint is one request shape to measure.
type endpoint struct {
	name        string
	service     string // which running instance: plain, ecdsa or rsa
	method      string
	path        string // with query; %d is the request counter when distinct
	body        string
	contentType string
	distinct    bool // every request differs (defeats caches)
	target      target
}

const autodiscoverBody = `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>jane.doe@example.ch</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>
`

// endpoints are the performance issue's targets.
func endpoints() []endpoint {
	return []endpoint{
		{name: "thunderbird", service: "plain", path: "/mail/config-v1.1.xml?emailaddress=jane.doe@example.ch",
			target: target{ratio: 0.9, p99: 10 * time.Millisecond}},
		{name: "autodiscover-pox", service: "plain", method: "POST", path: "/autodiscover/autodiscover.xml",
			body: autodiscoverBody, contentType: "text/xml; charset=utf-8", target: target{ratio: 0.8}},
		{name: "mobileconfig", service: "plain", path: "/apple/mail.mobileconfig?email=jane.doe@example.ch",
			target: target{ratio: 0.75}},
		// Signed profiles: distinct addresses, so that every request is
		// really signed (repeated ones are served from the cache).
		{name: "mobileconfig-ecdsa", service: "ecdsa", path: "/apple/mail.mobileconfig?email=user%d@example.ch",
			distinct: true, target: target{rps: 5000}},
		{name: "mobileconfig-rsa", service: "rsa", path: "/apple/mail.mobileconfig?email=user%d@example.ch",
			distinct: true, target: target{rps: 1000}},
		{name: "qr-repeated", service: "plain", path: "/qr.png?email=jane.doe@example.ch&client=apple-ios",
			target: target{ratio: 0.6}},
		{name: "qr-distinct", service: "plain", path: "/qr.png?email=user%d@example.ch&client=apple-ios",
			distinct: true, target: target{rps: 2000}},
	}
}

// result is one endpoint's best bare and service runs.
type result struct {
	endpoint endpoint
	bare     wrkRun
	service  wrkRun
}

func (r result) ratio() float64 {
	if r.bare.rps == 0 {
		return 0
	}
	return r.service.rps / r.bare.rps
}

func (r result) verdict() string {
	var problems []string
	t := r.endpoint.target
	if t.rps > 0 && r.service.rps < t.rps {
		problems = append(problems, "below target")
	}
	if t.ratio > 0 && r.ratio() < t.ratio {
		problems = append(problems, "below target")
	}
	if t.p99 > 0 && r.service.p99 > t.p99 {
		problems = append(problems, fmt.Sprintf("p99 over %s", t.p99))
	}
	if r.service.non2xx > 0 || r.service.socketEr > 0 {
		problems = append(problems, fmt.Sprintf("%d non-2xx, %d socket errors", r.service.non2xx, r.service.socketEr))
	}
	if len(problems) == 0 {
		return "PASS"
	}
	return "FAIL: " + strings.Join(problems, ", ")
}

// measure fetches the endpoint's response once, starts a bare server that
// answers those bytes, and runs wrk on both alternately.
func measure(ep endpoint, s *services, o options) (result, error) {
	base := s.url(ep.service)
	sample := strings.ReplaceAll(ep.path, "%d", "0")
	body, contentType, err := fetch(ep, base+sample)
	if err != nil {
		return result{}, err
	}
	bare, err := startBare(body, contentType)
	if err != nil {
		return result{}, err
	}
	defer bare.Close()

	dir, err := os.MkdirTemp("", "wrk-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	script, err := luaScript(dir, ep.name, ep)
	if err != nil {
		return result{}, err
	}
	// For distinct requests the script builds each path; the URL's own path
	// is then unused.
	path := sample
	r := result{endpoint: ep}
	for i := 0; i < o.rounds; i++ {
		b, err := runWrk("http://"+bare.Addr().String()+path, script, o.connections, o.duration)
		if err != nil {
			return r, err
		}
		sv, err := runWrk(base+path, script, o.connections, o.duration)
		if err != nil {
			return r, err
		}
		if b.rps > r.bare.rps {
			r.bare = b
		}
		if sv.rps > r.service.rps {
			r.service = sv
		}
	}
	return r, nil
}

// fetch makes the endpoint's request once and checks it succeeds.
func fetch(ep endpoint, url string) ([]byte, string, error) {
	method := ep.method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequest(method, url, strings.NewReader(ep.body))
	if err != nil {
		return nil, "", err
	}
	if ep.contentType != "" {
		req.Header.Set("Content-Type", ep.contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("%s %s: status %d: %s", method, url, resp.StatusCode, body)
	}
	return body, resp.Header.Get("Content-Type"), nil
}

// startBare serves body to every request: the floor a Go HTTP server can do.
func startBare(body []byte, contentType string) (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			io.Copy(io.Discard, r.Body)
		}
		w.Header().Set("Content-Type", contentType)
		w.Write(body)
	})
	go http.Serve(ln, h)
	return ln, nil
}
