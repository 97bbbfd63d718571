package httpkit

import (
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// Subject is what a request was about, as its handler tells it: the mail
// domain (ASCII) and, when the request named one, the address. The access
// log writes the domain, and the address only when configured to.
type Subject struct {
	Domain  string
	address autoconfig.Address // zero when the request named no address
}

// Address is the request's address with its domain in ASCII, or "" when it
// named none. Built only when asked for: most servers log domains only.
func (s Subject) Address() string {
	if s.address.Local == "" {
		return ""
	}
	return s.address.ASCII()
}

// SubjectOf is the subject of a request about addr.
func SubjectOf(addr autoconfig.Address) Subject {
	return Subject{Domain: addr.Domain, address: addr}
}

// Tracker carries a request's Subject from its handler to the access log.
// It wraps the response writer, which every handler holds, so that telling
// costs no allocation (a gin.Context key would allocate a map per request).
type Tracker struct {
	gin.ResponseWriter
	subject Subject
}

var trackers = sync.Pool{New: func() any { return new(Tracker) }}

// Track lets c's handler tell its Subject. Call Done after c.Next.
func Track(c *gin.Context) *Tracker {
	t := trackers.Get().(*Tracker)
	t.ResponseWriter, t.subject = c.Writer, Subject{}
	c.Writer = t
	return t
}

// Done returns what c's handler told and puts the tracker back; t is not
// used again.
func (t *Tracker) Done(c *gin.Context) Subject {
	s := t.subject
	c.Writer = t.ResponseWriter
	t.ResponseWriter, t.subject = nil, Subject{}
	trackers.Put(t)
	return s
}

// TellDomain records that the request was about an ASCII domain.
func TellDomain(c *gin.Context, domain string) { Tell(c, Subject{Domain: domain}) }

// TellAddress records that the request was about addr.
func TellAddress(c *gin.Context, addr autoconfig.Address) { Tell(c, SubjectOf(addr)) }

// Tell records what the request was about.
func Tell(c *gin.Context, s Subject) {
	if t, ok := c.Writer.(*Tracker); ok {
		t.subject = s
	}
}
