// Package conferencetest holds test doubles for the conference service's
// ports that have no real peer to talk to: a clock that moves only when
// told, and a Replies that records what the service reports. The real
// peers (store, PHLO) are tested with the store and phlotest instead.
package conferencetest

import (
	"sort"
	"sync"
	"time"
)

// Clock is a conference.Clock that moves only when Advance says, so that
// tests of limits, heartbeats and takeovers never race the real clock.
// It is safe for concurrent use.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*timer
	changed chan struct{} // closed and replaced when a timer is added
}

type timer struct {
	at time.Time
	c  chan time.Time
}

// NewClock returns a Clock stopped at start.
func NewClock(start time.Time) *Clock {
	return &Clock{now: start, changed: make(chan struct{})}
}

// Now returns the Clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After returns a channel that receives once the Clock has been advanced
// by d; at once for d <= 0.
func (c *Clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &timer{at: c.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- c.now
		return t.c
	}
	c.timers = append(c.timers, t)
	close(c.changed)
	c.changed = make(chan struct{})
	return t.c
}

// Advance moves the Clock on by d and fires the timers that are due, in
// order.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	sort.SliceStable(c.timers, func(i, j int) bool { return c.timers[i].at.Before(c.timers[j].at) })
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			kept = append(kept, t)
			continue
		}
		t.c <- c.now
	}
	c.timers = kept
}

// WaitTimers blocks until at least n timers wait, or done is closed; it
// reports whether they do.
func (c *Clock) WaitTimers(n int, done <-chan struct{}) bool {
	for {
		c.mu.Lock()
		have, changed := len(c.timers), c.changed
		c.mu.Unlock()
		if have >= n {
			return true
		}
		select {
		case <-changed:
		case <-done:
			return false
		}
	}
}
