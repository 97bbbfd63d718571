package autodiscover

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// maxRequest caps a POX request body. Real requests are under
// 500 bytes; one well-known server allows 8 KiB.
const maxRequest = 16 << 10

// maxDepth bounds element nesting: a real request is 3 deep.
const maxDepth = 16

// Request is what this service reads from a POX request.
type Request struct {
	// EMailAddress is the raw text of Request/EMailAddress, trimmed.
	EMailAddress string
	// AcceptableResponseSchema is the raw text of the element, trimmed;
	// empty when absent.
	AcceptableResponseSchema string
}

// requestError says why a request body was rejected. Its message
// never contains the input.
type requestError struct{ Reason string }

func (e *requestError) Error() string { return "invalid Autodiscover request: " + e.Reason }

func requestErr(reason string) error { return &requestError{Reason: reason} }

// parseRequest reads Autodiscover/Request/EMailAddress and
// AcceptableResponseSchema whatever the namespaces or prefixes.
//
// encoding/xml expands no external or DTD-declared entities (an undeclared
// entity is a syntax error in strict mode), so XXE and billion-laughs bodies
// fail; a DOCTYPE is refused outright all the same, as no client sends one.
func parseRequest(body []byte) (Request, error) {
	// A UTF-8 byte order mark is legal XML that encoding/xml rejects.
	body = bytes.TrimPrefix(body, []byte("\xEF\xBB\xBF"))
	if len(bytes.TrimSpace(body)) == 0 {
		return Request{}, requestErr("the body is empty")
	}
	dec := xml.NewDecoder(bytes.NewReader(body))
	var (
		req     Request
		stack   [maxDepth]xml.Name
		path    = stack[:0] // the open elements, prefix and local name
		text    strings.Builder
		capture *string // field receiving the current element's text
		seen    requestSeen
	)
	for {
		// RawToken: namespaces are not needed (elements are matched by
		// local name whatever the prefix) and cost allocations; the
		// nesting Token would check is checked here.
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			if len(path) > 0 {
				return Request{}, requestErr("the body is not well-formed XML")
			}
			break
		}
		if err != nil {
			return Request{}, requestErr("the body is not well-formed XML")
		}
		switch t := tok.(type) {
		case xml.Directive:
			return Request{}, requestErr("a DOCTYPE or other directive is not accepted")
		case xml.StartElement:
			if len(path) == maxDepth {
				return Request{}, requestErr("the XML is nested too deeply")
			}
			path = append(path, t.Name)
			capture = nil
			if len(path) == 1 && !strings.EqualFold(t.Name.Local, "Autodiscover") {
				return Request{}, requestErr("the root element is not Autodiscover")
			}
			if len(path) == 3 && strings.EqualFold(path[1].Local, "Request") {
				// The first of each element counts; later ones are ignored.
				if field, first := requestField(&req, &seen, t.Name.Local); first {
					capture = field
					text.Reset()
				}
			}
		case xml.CharData:
			if capture != nil {
				if text.Len()+len(t) > maxRequest {
					return Request{}, requestErr("an element's text is too long")
				}
				text.Write(t)
			}
		case xml.EndElement:
			if len(path) == 0 || path[len(path)-1] != t.Name {
				return Request{}, requestErr("the body is not well-formed XML")
			}
			if capture != nil {
				*capture = strings.TrimSpace(text.String())
				capture = nil
			}
			path = path[:len(path)-1]
		}
	}
	if !seen.address {
		return Request{}, requestErr("Request/EMailAddress is missing")
	}
	return req, nil
}

type requestSeen struct{ address, schema bool }

// requestField is the field of req that element local fills, and whether
// this is the first such element. Names are compared case-insensitively:
// some clients spell EmailAddress.
func requestField(req *Request, seen *requestSeen, local string) (*string, bool) {
	var field *string
	var flag *bool
	switch {
	case strings.EqualFold(local, "EMailAddress"):
		field, flag = &req.EMailAddress, &seen.address
	case strings.EqualFold(local, "AcceptableResponseSchema"):
		field, flag = &req.AcceptableResponseSchema, &seen.schema
	default:
		return nil, false
	}
	if *flag {
		return nil, false
	}
	*flag = true
	return field, true
}

// OffersOutlookSchema reports whether the request asks for the Outlook
// 2006a response schema, the only one this service answers. No schema counts
// as asking for it; the https:// spelling copied from Microsoft's current
// pages is accepted too (the response always uses the http:// name).
func (r Request) OffersOutlookSchema() bool {
	s := r.AcceptableResponseSchema
	if s == "" {
		return true
	}
	if rest, ok := cutPrefixFold(s, "https://"); ok {
		s = "http://" + rest
	}
	return strings.EqualFold(s, OutlookNS)
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}
