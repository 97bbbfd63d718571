package autoconfig

// ASCIILDH is asciiLDH, for the external fuzz test.
var ASCIILDH = asciiLDH

// Limits, for the external fuzz test.
const (
	MaxDomain  = maxDomain
	MaxAddress = maxAddress
)

// LookupProfile is lookupProfile, for the external fuzz test.
var LookupProfile = lookupProfile
