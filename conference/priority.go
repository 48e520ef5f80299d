package conference

import (
	"context"
	"sync"
	"time"
)

// intakeFirst gives recording requests priority over working on them.
// Slack wants each envelope acknowledged within seconds, and people read
// a slow ack as a broken bot, while a PHLO request that starts a few
// milliseconds later changes nothing: so while requests are waiting to be
// recorded, work about to start (or about to write to the store) waits
// for the intake to drain, for at most yieldAtMost. On two cores a burst
// of 500 commands is otherwise acknowledged behind the work it unleashes,
// which competes with it for the CPU and the database.
type intakeFirst struct {
	mu        sync.Mutex
	pending   int
	drained   chan struct{} // closed when pending falls to 0
	lastEnter time.Time
	// burst is set when the last two requests came within quietGap of
	// each other: only then is more expected.
	burst bool
}

// quietGap is how long the intake of a burst must have been idle before
// work goes on: envelopes of a burst arrive a few at a time, and work woken
// between two of them would take the CPU from reading the next. A lone
// request does not wait.
const quietGap = 3 * time.Millisecond

// yieldAtMost bounds one wait, so a steady stream of commands cannot
// starve the work.
const yieldAtMost = 100 * time.Millisecond

// enter counts a request waiting to be recorded.
func (g *intakeFirst) enter() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.pending == 0 {
		g.drained = make(chan struct{})
	}
	g.pending++
	now := time.Now()
	g.burst = now.Sub(g.lastEnter) < quietGap
	g.lastEnter = now
}

// leave counts it recorded (or refused).
func (g *intakeFirst) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pending--
	if g.pending == 0 {
		close(g.drained)
	}
}

// yield waits until nothing has waited to be recorded for quietGap, for
// at most yieldAtMost.
func (g *intakeFirst) yield(ctx context.Context) {
	deadline := time.NewTimer(yieldAtMost)
	defer deadline.Stop()
	for {
		g.mu.Lock()
		pending, drained, idle, burst := g.pending, g.drained, time.Since(g.lastEnter), g.burst
		g.mu.Unlock()
		var wait <-chan time.Time
		switch {
		case pending > 0:
		case !burst || idle >= quietGap:
			return
		default:
			wait = time.After(quietGap - idle)
			drained = nil
		}
		select {
		case <-drained:
		case <-wait:
		case <-deadline.C:
			return
		case <-ctx.Done():
			return
		}
	}
}
