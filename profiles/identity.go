package profiles

import (
	"crypto/sha1"
	"fmt"
	"strings"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// Stable identities. iOS and macOS replace an installed profile when a new
// one has the same top-level PayloadIdentifier, and update payloads whose
// identifier and UUID match; random UUIDs would add a second account on
// every download, and shared ones would make accounts overwrite each other.
//
// Derivation, version 1: every UUID is a name-based UUID version 5 (RFC 9562
// §5.5: SHA-1, version and variant bits set) in identityNamespace, of the
// name
//
//	"v1" NUL provider-id NUL local-part "@" ascii-domain NUL kind
//
// where kind is "profile", "mail", "caldav" or "carddav", and the local part
// is kept as typed (servers may treat it as case sensitive). Identifiers are
// the reversed provider id, ".mailautoconf.", the profile UUID, and for
// payloads "." and the kind. Neither the display name nor the include list
// takes part, so that a new download with other options replaces the
// profile. Changing any of this changes every installed user's identity:
// bump identityVersion instead of editing the derivation in place.
const identityVersion = "v1"

// identityNamespace is this project's UUID namespace: the version 5 UUID of
// "https://github.com/mailautoconf/mailautoconf/profiles" in the RFC 9562
// URL namespace (checked by TestIdentityNamespace).
var identityNamespace = [16]byte{
	0xc7, 0xa9, 0x0c, 0x64, 0x26, 0xf6, 0x54, 0xe8,
	0xac, 0x62, 0x33, 0xf3, 0x77, 0x90, 0x52, 0x8b,
}

// Payload kinds: the last part of the name each UUID is derived from.
const (
	kindProfile = "profile"
	kindMail    = "mail"
	kindCalDAV  = "caldav"
	kindCardDAV = "carddav"
)

// identity derives the UUIDs and identifiers of one account's profile.
type identity struct {
	providerID string
	address    string // local part as typed, ASCII domain
}

func newIdentity(acct autoconfig.Account) identity {
	return identity{providerID: acct.Provider.ID, address: acct.Address.ASCII()}
}

// UUID returns the upper-case UUID of one kind, as Apple's tools write them.
func (id identity) UUID(kind string) string {
	name := identityVersion + "\x00" + id.providerID + "\x00" + id.address + "\x00" + kind
	return uuidV5(identityNamespace, name)
}

// ProfileIdentifier is the top-level PayloadIdentifier.
func (id identity) ProfileIdentifier() string {
	return reverseDNS(id.providerID) + ".mailautoconf." + id.UUID(kindProfile)
}

// PayloadIdentifier is a payload's identifier: distinct from the profile's
// and from the other payloads'.
func (id identity) PayloadIdentifier(kind string) string {
	return id.ProfileIdentifier() + "." + kind
}

// uuidV5 is RFC 9562 §5.5.
func uuidV5(namespace [16]byte, name string) string {
	h := sha1.New()
	h.Write(namespace[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	return formatUUID(u)
}

func formatUUID(u [16]byte) string {
	return fmt.Sprintf("%X-%X-%X-%X-%X", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// reverseDNS turns infomaniak.com into com.infomaniak, the usual form of
// payload identifiers.
func reverseDNS(host string) string {
	labels := strings.Split(host, ".")
	for i, j := 0, len(labels)-1; i < j; i, j = i+1, j-1 {
		labels[i], labels[j] = labels[j], labels[i]
	}
	return strings.Join(labels, ".")
}
