// Package netguard tells which addresses the service must not connect to
// on a domain's behalf: the ranges the IANA special-purpose registries mark
// as not globally reachable, and the IPv6 forms that carry such an IPv4
// address. The live checker's dialer asks it before every connection.
package netguard

import (
	"net/netip"
)

// specialRange is one row of the IANA Special-Purpose Address Registries:
// a prefix and whether addresses in it are globally reachable.
type specialRange struct {
	prefix netip.Prefix
	global bool
}

func row(prefix string, global bool) specialRange {
	return specialRange{netip.MustParsePrefix(prefix), global}
}

// specialRanges are the rows of the IANA IPv4 and IPv6 Special-Purpose
// Address Registries (RFC 6890), as published at
// https://www.iana.org/assignments/iana-ipv4-special-registry/ and
// https://www.iana.org/assignments/iana-ipv6-special-registry/ (read
// December 2026), each with the RFC that defines it. The most specific
// row that holds an address decides: 192.0.0.9 is globally reachable
// although 192.0.0.0/24 is not. Rows whose "globally reachable" is N/A
// (6to4, Teredo, the IPv4-mapped block) are not listed: the address they
// embed decides (embeddedIPv4).
var specialRanges = []specialRange{
	// IPv4
	row("0.0.0.0/8", false),          // "this network", RFC 791 §3.2
	row("0.0.0.0/32", false),         // "this host on this network", RFC 1122 §3.2.1.3
	row("10.0.0.0/8", false),         // private use, RFC 1918
	row("100.64.0.0/10", false),      // shared address space (CGNAT), RFC 6598
	row("127.0.0.0/8", false),        // loopback, RFC 1122 §3.2.1.3
	row("169.254.0.0/16", false),     // link local, RFC 3927
	row("172.16.0.0/12", false),      // private use, RFC 1918
	row("192.0.0.0/24", false),       // IETF protocol assignments, RFC 6890 §2.1
	row("192.0.0.0/29", false),       // IPv4 service continuity prefix, RFC 7335
	row("192.0.0.8/32", false),       // IPv4 dummy address, RFC 7600
	row("192.0.0.9/32", true),        // Port Control Protocol anycast, RFC 7723
	row("192.0.0.10/32", true),       // TURN anycast, RFC 8155
	row("192.0.0.170/31", false),     // NAT64/DNS64 discovery, RFC 8880, RFC 7050 §2.2
	row("192.0.2.0/24", false),       // documentation (TEST-NET-1), RFC 5737
	row("192.31.196.0/24", true),     // AS112-v4, RFC 7535
	row("192.52.193.0/24", true),     // AMT, RFC 7450
	row("192.88.99.0/24", false),     // deprecated 6to4 relay anycast, RFC 7526
	row("192.88.99.2/32", false),     // 6a44 relay anycast, RFC 6751
	row("192.168.0.0/16", false),     // private use, RFC 1918
	row("192.175.48.0/24", true),     // direct delegation AS112 service, RFC 7534
	row("198.18.0.0/15", false),      // benchmarking, RFC 2544
	row("198.51.100.0/24", false),    // documentation (TEST-NET-2), RFC 5737
	row("203.0.113.0/24", false),     // documentation (TEST-NET-3), RFC 5737
	row("224.0.0.0/4", false),        // multicast (not unicast at all), RFC 5771
	row("240.0.0.0/4", false),        // reserved, RFC 1112 §4
	row("255.255.255.255/32", false), // limited broadcast, RFC 8190, RFC 919 §7

	// IPv6
	row("::/128", false),           // unspecified, RFC 4291
	row("::1/128", false),          // loopback, RFC 4291
	row("64:ff9b:1::/48", false),   // local-use IPv4/IPv6 translation, RFC 8215
	row("100::/64", false),         // discard-only, RFC 6666
	row("100:0:0:1::/64", false),   // dummy IPv6 prefix, RFC 9780
	row("2001::/23", false),        // IETF protocol assignments, RFC 2928
	row("2001:1::1/128", true),     // Port Control Protocol anycast, RFC 7723
	row("2001:1::2/128", true),     // TURN anycast, RFC 8155
	row("2001:1::3/128", true),     // DNS-SD service registration protocol anycast, RFC 9665
	row("2001:2::/48", false),      // benchmarking, RFC 5180
	row("2001:3::/32", true),       // AMT, RFC 7450
	row("2001:4:112::/48", true),   // AS112-v6, RFC 7535
	row("2001:20::/28", true),      // ORCHIDv2, RFC 7343
	row("2001:30::/28", true),      // drone remote ID protocol entity tags, RFC 9374
	row("2001:db8::/32", false),    // documentation, RFC 3849
	row("2620:4f:8000::/48", true), // direct delegation AS112 service, RFC 7534
	row("3fff::/20", false),        // documentation, RFC 9637
	row("5f00::/16", false),        // segment routing (SRv6) SIDs, RFC 9602
	row("fc00::/7", false),         // unique local, RFC 4193, RFC 8190
	row("fe80::/10", false),        // link-local unicast, RFC 4291
	row("fec0::/10", false),        // site-local, deprecated but still routed inside sites, RFC 3879
	row("ff00::/8", false),         // multicast (not unicast at all), RFC 4291 §2.7
}

// Prefixes whose addresses carry an IPv4 address that a packet to them
// ends up at: the embedded address decides.
var (
	ipv4Compatible = netip.MustParsePrefix("::/96")        // deprecated IPv4-compatible ::a.b.c.d, RFC 4291 §2.5.5.1
	nat64          = netip.MustParsePrefix("64:ff9b::/96") // well-known NAT64 prefix, RFC 6052 §2.1
	sixToFour      = netip.MustParsePrefix("2002::/16")    // 6to4, RFC 3056 §2: the IPv4 address in bits 16-47
	teredo         = netip.MustParsePrefix("2001::/32")    // Teredo, RFC 4380 §4: server in bits 32-63, client's (inverted) in 96-127
)

// Internal reports whether a is an address the checker must not
// reach by default: one that is not globally reachable by the IANA
// registries, or that carries such an IPv4 address (IPv4-mapped or
// -compatible, NAT64, 6to4, Teredo), so that a domain's DNS cannot make
// the service probe its own network or a cloud metadata service
// (169.254.169.254, 100.100.100.200, 192.0.0.192).
func Internal(a netip.Addr) bool {
	if embedded := embeddedIPv4(a); len(embedded) > 0 {
		for _, e := range embedded {
			if Internal(e) {
				return true
			}
		}
		return false
	}
	best := -1
	global := true
	for _, r := range specialRanges {
		if r.prefix.Bits() > best && r.prefix.Contains(a) {
			best, global = r.prefix.Bits(), r.global
		}
	}
	return !global
}

// embeddedIPv4 is the IPv4 address (two for Teredo: server and client)
// that an IPv6 address of a translation or tunnelling prefix carries.
func embeddedIPv4(a netip.Addr) []netip.Addr {
	if !a.Is6() {
		return nil
	}
	b := a.As16()
	v4 := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{b[i], b[i+1], b[i+2], b[i+3]}) }
	switch {
	case a.Is4In6(), ipv4Compatible.Contains(a), nat64.Contains(a):
		return []netip.Addr{v4(12)}
	case sixToFour.Contains(a):
		return []netip.Addr{v4(2)}
	case teredo.Contains(a):
		client := v4(12).As4()
		for i := range client {
			client[i] ^= 0xff
		}
		return []netip.Addr{v4(4), netip.AddrFrom4(client)}
	}
	return nil
}
