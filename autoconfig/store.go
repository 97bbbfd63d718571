package autoconfig

import "sync/atomic"

// Store holds the configuration in force. A reload swaps it atomically;
// a request reads it once and finishes on the configuration it started with.
type Store struct{ cur atomic.Pointer[Config] }

// NewStore returns a store holding c.
func NewStore(c *Config) *Store {
	s := &Store{}
	s.cur.Store(c)
	return s
}

// Config returns the configuration in force.
func (s *Store) Config() *Config { return s.cur.Load() }

// Swap puts c in force and returns the previous configuration.
func (s *Store) Swap(c *Config) *Config { return s.cur.Swap(c) }
