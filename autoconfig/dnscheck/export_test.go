package dnscheck

import "net/netip"

// InternalAddress exposes internalAddress to the external tests.
func InternalAddress(s string) bool { return internalAddress(netip.MustParseAddr(s)) }
