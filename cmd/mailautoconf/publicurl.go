package main

import (
	"net"
	"net/netip"
)

// phoneUnreachable reports why, without --public-url, the QR codes and
// links the wizard shows could carry a host a phone cannot reach: they
// take the host of each request, and a service answering on loopback or
// a bare IP address is opened as http://127.0.0.1:… or http://10.0.0.5:…,
// which a phone scanning the code cannot open or cannot trust. "" when
// the listen address names a host.
func phoneUnreachable(listen string) string {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		host = listen
	}
	if host == "" {
		return "listening on every address: pages opened as http://localhost or by IP address put that host in QR codes"
	}
	if host == "localhost" {
		return "listening on loopback only: no phone can open the QR codes' links"
	}
	ip, err := netip.ParseAddr(host)
	switch {
	case err != nil:
		return ""
	case ip.IsLoopback():
		return "listening on loopback only: no phone can open the QR codes' links"
	case ip.IsUnspecified():
		return "listening on every address: pages opened as http://localhost or by IP address put that host in QR codes"
	}
	return "listening on a bare IP address: QR codes and links carry it instead of a name phones can reach and certificates cover"
}
