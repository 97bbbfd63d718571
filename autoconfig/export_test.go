package autoconfig

import "time"

// Test hooks: the clock of the MX cache, its size, and resolv.conf parsing
// from a test file.

func SetMXClock(r *MXResolver, now func() time.Time) { r.now = now }

func MXCacheLen(r *MXResolver) int { return r.cache.len() }

var ResolverFromFile = resolverFromFile
