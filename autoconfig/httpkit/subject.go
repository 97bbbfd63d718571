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
	Address string // ASCII form; "" when the request named no address
}

// tracker carries a request's Subject from its handler to the access log.
// It wraps the response writer, which every handler holds, so that telling
// costs no allocation (a gin.Context key would allocate a map per request).
type tracker struct {
	gin.ResponseWriter
	subject Subject
}

var trackers = sync.Pool{New: func() any { return new(tracker) }}

// Track lets c's handler tell its Subject, and returns a function that
// gives it once the handler has run (call it after c.Next, once).
func Track(c *gin.Context) (done func() Subject) {
	t := trackers.Get().(*tracker)
	t.ResponseWriter, t.subject = c.Writer, Subject{}
	c.Writer = t
	return func() Subject {
		s := t.subject
		c.Writer = t.ResponseWriter
		t.ResponseWriter = nil
		trackers.Put(t)
		return s
	}
}

// TellDomain records that the request was about an ASCII domain.
func TellDomain(c *gin.Context, domain string) {
	if t, ok := c.Writer.(*tracker); ok {
		t.subject.Domain = domain
	}
}

// TellAddress records that the request was about addr.
func TellAddress(c *gin.Context, addr autoconfig.Address) { Tell(c, SubjectOf(addr)) }

// Tell records what the request was about.
func Tell(c *gin.Context, s Subject) {
	if t, ok := c.Writer.(*tracker); ok {
		t.subject = s
	}
}

// SubjectOf is the subject of a request about addr.
func SubjectOf(addr autoconfig.Address) Subject {
	return Subject{Domain: addr.Domain, Address: addr.ASCII()}
}
