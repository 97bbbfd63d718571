package mxlookup

import (
	"container/list"
	"sync"
)

// lruCache is a size-bounded map that evicts the least recently used key,
// so that a flood of distinct domains cannot grow memory without limit.
type lruCache[V any] struct {
	mu    sync.Mutex
	max   int
	order *list.List // front: most recently used; values are *lruItem[V]
	items map[string]*list.Element
}

type lruItem[V any] struct {
	key   string
	value V
}

func newLRUCache[V any](max int) *lruCache[V] {
	// The map grows with use: most servers never look up an MX at all.
	return &lruCache[V]{max: max, order: list.New(), items: make(map[string]*list.Element)}
}

func (c *lruCache[V]) get(key string) (V, bool) {
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

func (c *lruCache[V]) put(key string, value V) {
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

func (c *lruCache[V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
