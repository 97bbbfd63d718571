package netguard_test

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mailautoconf/mailautoconf/autoconfig/netguard"
)

// specialAddresses are addresses of the IANA special-purpose ranges that
// are not globally reachable, and IPv6 forms that carry one.
var specialAddresses = []string{
	"127.0.0.1", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "fe80::1", "fd00::1",
	"0.0.0.0", "::", "0.1.2.3", // this network
	"100.64.0.1", "100.100.100.200", "100.127.255.254", // CGNAT; a cloud metadata service at 100.100.100.200
	"192.0.0.192", "192.0.0.8", "192.0.0.170", // IETF protocol assignments; another metadata service at 192.0.0.192
	"198.18.0.1", "198.19.255.255", // benchmarking
	"240.0.0.1", "255.255.255.254", "255.255.255.255", // reserved, broadcast
	"192.0.2.1", "198.51.100.1", "203.0.113.1", "2001:db8::1", "3fff::1", // documentation
	"224.0.0.1", "ff02::1", "fec0::1", "100::1", "2001:2::1", "5f00::1", "64:ff9b:1::1",
	"::ffff:127.0.0.1", "::ffff:169.254.169.254", // IPv4-mapped
	"::127.0.0.1", "::169.254.169.254", // IPv4-compatible
	"64:ff9b::127.0.0.1", "64:ff9b::a9fe:a9fe", "64:ff9b::100.100.100.200", // NAT64
	"2002:7f00:1::", "2002:a9fe:a9fe::1", // 6to4
	"2001:0:a9fe:a9fe::1", "2001:0:808:808::80ff:fefe", // Teredo: server 169.254.169.254; client 127.0.1.1 (inverted)
}

func TestInternal_SpecialPurposeRanges(t *testing.T) {
	for _, addr := range specialAddresses {
		assert.True(t, netguard.Internal(netip.MustParseAddr(addr)), addr)
	}
	for _, addr := range []string{
		"8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.0", "192.0.0.9", "192.0.1.1", "198.17.255.255", "198.20.0.0",
		"223.255.255.255", "2a00:1450:4001::1", "2001:4860::8888", "2001:4:112::1",
		"64:ff9b::8.8.8.8", "2002:808:808::1", "::ffff:8.8.8.8", "2001:0:808:808::f7f7:f7f7", // embedding 8.8.8.8
	} {
		assert.False(t, netguard.Internal(netip.MustParseAddr(addr)), addr)
	}
}
