package dnsbudget

import (
	"container/list"
	"sync"
)

// LRU is a size-bounded map that evicts the least recently used key, so
// that a flood of distinct names cannot grow memory without limit, nor
// wipe the entries in use the way clearing a full map would.
type LRU[V any] struct {
	mu    sync.Mutex
	max   int
	order *list.List // front: most recently used; values are *lruItem[V]
	items map[string]*list.Element
}

type lruItem[V any] struct {
	key   string
	value V
}

// NewLRU holds at most size keys (at least one).
func NewLRU[V any](size int) *LRU[V] {
	// The map grows with use: most servers never look up a name at all.
	return &LRU[V]{max: max(1, size), order: list.New(), items: make(map[string]*list.Element)}
}

// Get returns the value of key and marks it used.
func (c *LRU[V]) Get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*lruItem[V]).value, true
}

// Put stores value under key, forgetting the least recently used key when
// full.
func (c *LRU[V]) Put(key string, value V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		el.Value.(*lruItem[V]).value = value
		c.order.MoveToFront(el)
		return
	}
	c.items[key] = c.order.PushFront(&lruItem[V]{key: key, value: value})
	if c.order.Len() > c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.items, oldest.Value.(*lruItem[V]).key)
	}
}

// Len is the number of keys held.
func (c *LRU[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
