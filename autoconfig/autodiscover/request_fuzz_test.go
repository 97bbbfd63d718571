package autodiscover

import (
	"encoding/xml"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// FuzzParseRequest checks that any POX body is either refused with
// an *RequestError whose message repeats nothing of the body,
// or read into a request that a client re-encoding it would send again
// unchanged, and whose address, when valid, survives the same trip.
func FuzzParseRequest(f *testing.F) {
	for _, seed := range testkit.FuzzSeeds(f, "FuzzParseRequest") {
		f.Add([]byte(seed[0]))
	}
	fuzzing := isFuzzing()
	f.Fuzz(func(t *testing.T, body []byte) {
		start := time.Now()
		req, err := parseRequest(body)
		// A hang or a blow-up on a hostile body is what the caps guard
		// against. Checked only while fuzzing (never in the plain test
		// run): one pass over at most the 16 KiB handlers pass takes
		// microseconds, so a second means a quadratic or worse path.
		if fuzzing && len(body) <= maxRequest && time.Since(start) > time.Second {
			t.Fatalf("parsing %d bytes took %v", len(body), time.Since(start))
		}
		if err != nil {
			checkRequestError(t, body, err)
			return
		}
		again, err := parseRequest(encodeRequest(req))
		if err != nil || again != req {
			t.Fatalf("re-encoded request does not parse back: %+v, %v (was %+v)", again, err, req)
		}
		addr, err := autoconfig.ParseAddress(req.EMailAddress)
		if err != nil {
			return
		}
		again, err = parseRequest(encodeRequest(Request{EMailAddress: addr.ASCII()}))
		if err != nil {
			t.Fatalf("request for %q does not parse: %v", addr.ASCII(), err)
		}
		if back, err := autoconfig.ParseAddress(again.EMailAddress); err != nil || back != addr {
			t.Fatalf("address %+v does not round-trip: %+v, %v", addr, back, err)
		}
	})
}

// checkRequestError fails unless err is the parser's own error type with a
// fixed, markup-free message that does not repeat the body.
func checkRequestError(t *testing.T, body []byte, err error) {
	t.Helper()
	var reqErr *requestError
	if !errors.As(err, &reqErr) || reqErr.Reason == "" {
		t.Fatalf("error of another type or empty: %T %v", err, err)
	}
	msg := err.Error()
	for i := 0; i < len(msg); i++ {
		if c := msg[i]; c < 0x20 || c > 0x7e || strings.IndexByte(`<>&"`, c) >= 0 {
			t.Fatalf("message has a byte it could only have copied from the body: %q", msg)
		}
	}
	// Short bodies can be words of a fixed message ("XML"); longer ones
	// found in it were copied.
	if len(body) >= 24 && strings.Contains(msg, string(body)) {
		t.Fatalf("the message repeats the body: %q", msg)
	}
}

// encodeRequest writes req as a client would, the text escaped.
func encodeRequest(req Request) []byte {
	var b strings.Builder
	b.WriteString(`<Autodiscover xmlns="` + RequestNS + `"><Request><EMailAddress>`)
	_ = xml.EscapeText(&b, []byte(req.EMailAddress))
	b.WriteString(`</EMailAddress>`)
	if req.AcceptableResponseSchema != "" {
		b.WriteString(`<AcceptableResponseSchema>`)
		_ = xml.EscapeText(&b, []byte(req.AcceptableResponseSchema))
		b.WriteString(`</AcceptableResponseSchema>`)
	}
	b.WriteString(`</Request></Autodiscover>`)
	return []byte(b.String())
}

// isFuzzing reports whether go test runs with -fuzz, rather than only
// replaying the seed corpus.
func isFuzzing() bool {
	fl := flag.Lookup("test.fuzz")
	return fl != nil && fl.Value.String() != ""
}
