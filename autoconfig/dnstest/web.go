package dnstest

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/dnscheck"
)

// Web is the loopback web of a live-check test: one HTTPS and one plain
// HTTP server that answer for every host name (the handler tells them
// apart by Host), reached through the checker's own DNS resolution with
// the standard ports mapped to theirs. It counts the connections it
// accepts, so that a test can show the checker did not connect.
type Web struct {
	HTTPS    *HTTPSServer
	HTTPAddr string

	httpsFront string // counting listener in front of HTTPS
	conns      atomic.Int64
}

// StartWeb serves handler over HTTPS (a certificate valid for names only)
// and plain HTTP until the test ends.
func StartWeb(t testing.TB, handler http.Handler, names ...string) *Web {
	t.Helper()
	w := &Web{HTTPS: StartHTTPS(t, handler, names...)}
	plain := httptest.NewUnstartedServer(handler)
	plain.Config.ErrorLog = log.New(io.Discard, "", 0)
	plain.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			w.conns.Add(1)
		}
	}
	plain.Start()
	t.Cleanup(plain.Close)
	w.HTTPAddr = plain.Listener.Addr().String()
	w.httpsFront = w.countingProxy(t, w.HTTPS.Addr)
	return w
}

// CustomerWeb serves the customer sites of CustomerSites on a Web.
func CustomerWeb(t testing.TB) *Web {
	t.Helper()
	return StartWeb(t, customerHandler(t), customerNames...)
}

// Connections is the number of connections accepted so far, HTTPS and HTTP.
func (w *Web) Connections() int { return int(w.conns.Load()) }

// Checker returns a checker that asks resolver, trusts the test CA,
// reaches the web's servers on loopback (which it must be allowed to) and
// asks the ISP database at ispdb.
func (w *Web) Checker(resolver, ispdb string) *dnscheck.Checker {
	return &dnscheck.Checker{
		Resolver: resolver, RootCAs: w.HTTPS.Roots, ISPDB: ispdb, AllowInternal: true,
		PortMap: map[string]string{"443": port(w.httpsFront), "80": port(w.HTTPAddr)},
	}
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// countingProxy forwards the connections of a loopback listener to target
// and counts them.
func (w *Web) countingProxy(t testing.TB, target string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			w.conns.Add(1)
			go pipe(c, target)
		}
	}()
	return ln.Addr().String()
}

func pipe(c net.Conn, target string) {
	defer c.Close()
	up, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); up.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	go func() { io.Copy(c, up); c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	<-done
	<-done
}
