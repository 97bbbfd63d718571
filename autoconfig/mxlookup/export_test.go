package mxlookup

import "time"

// Test hooks: the clock of the MX cache, its size, and resolv.conf parsing
// from a test file.

func SetClock(r *Lookup, now func() time.Time) { r.now = now }

func CacheLen(r *Lookup) int { return r.cache.Len() + r.negative.Len() }

var ResolverFromFile = resolverFromFile
