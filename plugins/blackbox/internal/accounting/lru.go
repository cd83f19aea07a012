package accounting

import "container/list"

// lru is a least-recently-used map from an input row's key to the source's
// answer for it. It is not safe for concurrent use; Accountant locks it.
type lru struct {
	max   int
	order *list.List // front is most recent; values are *lruEntry
	items map[string]*list.Element
}

type lruEntry struct {
	key string
	row []float64
}

func newLRU(max int) *lru {
	return &lru{max: max, order: list.New(), items: map[string]*list.Element{}}
}

// get returns the row stored under key and marks it most recent.
func (c *lru) get(key string) ([]float64, bool) {
	if c.max <= 0 {
		return nil, false
	}
	e, ok := c.items[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*lruEntry).row, true
}

// put stores a copy of row under key (so the source's answer buffer is
// not kept alive), evicting the least recent entry when full.
func (c *lru) put(key string, row []float64) {
	if c.max <= 0 {
		return
	}
	row = append([]float64(nil), row...)
	if e, ok := c.items[key]; ok {
		e.Value.(*lruEntry).row = row
		c.order.MoveToFront(e)
		return
	}
	c.items[key] = c.order.PushFront(&lruEntry{key: key, row: row})
	for c.order.Len() > c.max {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.items, old.Value.(*lruEntry).key)
	}
}

func (c *lru) len() int { return c.order.Len() }
