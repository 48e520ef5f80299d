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
// for the intake to go quiet, for at most yieldAtMost. On two cores a
// burst of 500 commands is otherwise acknowledged behind the work it
// unleashes, which competes with it for the CPU and the database.
//
// The waiters share one gate and one timer: a burst parks hundreds of
// them, and each polling a timer of its own would take from reading the
// burst the very CPU the wait is meant to leave it.
type intakeFirst struct {
	mu          sync.Mutex
	pending     int
	lastArrival time.Time
	// burst is set when the last two requests came within quietGap of
	// each other: only then is more expected.
	burst bool
	// gate is what waiters wait on: nil while work may go on, an open
	// channel while it must wait, closed when it may go on again.
	gate chan struct{}
	// reopen opens the gate once a burst's intake has been idle for
	// quietGap; nil until the first burst.
	reopen *time.Timer
}

// quietGap is how long the intake of a burst must have been idle before
// work goes on: envelopes of a burst arrive a few at a time, and work woken
// between two of them would take the CPU from reading the next. It is
// longer than the reader's usual stalls (a garbage collection, a busy
// core) and short beside a PHLO round trip. A lone request does not wait.
const quietGap = 10 * time.Millisecond

// yieldAtMost bounds one wait, so a steady stream of commands cannot
// starve the work.
const yieldAtMost = 100 * time.Millisecond

// arrive counts a request that has just arrived and waits to be recorded,
// and closes the gate.
func (g *intakeFirst) arrive() {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := time.Now()
	g.burst = now.Sub(g.lastArrival) < quietGap
	g.lastArrival = now
	g.enterLocked()
}

// enter counts a request waiting to be recorded that arrive counted
// already (Arrival.Enqueue), and closes the gate.
func (g *intakeFirst) enter() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.enterLocked()
}

func (g *intakeFirst) enterLocked() {
	g.pending++
	if g.gate == nil {
		g.gate = make(chan struct{})
	}
}

// leave counts it recorded (or refused). The last one out opens the gate,
// at once for a lone request and after quietGap of quiet in a burst.
func (g *intakeFirst) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pending--
	if g.pending > 0 {
		return
	}
	if !g.burst {
		g.openLocked()
		return
	}
	g.armLocked(quietGap - time.Since(g.lastArrival))
}

// armLocked opens the gate after d, unless a request comes first. g.mu
// must be held.
func (g *intakeFirst) armLocked(d time.Duration) {
	if g.reopen == nil {
		g.reopen = time.AfterFunc(d, g.quiet)
		return
	}
	g.reopen.Reset(d)
}

// quiet is the timer's check: the gate opens if nothing came since it was
// armed, and waits out the rest of quietGap if something came and went.
func (g *intakeFirst) quiet() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.pending > 0 {
		return // the last to leave arms the timer again
	}
	if idle := time.Since(g.lastArrival); idle < quietGap {
		g.armLocked(quietGap - idle)
		return
	}
	g.openLocked()
}

// openLocked lets every waiter go on. g.mu must be held.
func (g *intakeFirst) openLocked() {
	if g.gate != nil {
		close(g.gate)
		g.gate = nil
	}
}

// yield waits until the gate opens, for at most yieldAtMost.
func (g *intakeFirst) yield(ctx context.Context) {
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	if gate == nil {
		return
	}
	deadline := time.NewTimer(yieldAtMost)
	defer deadline.Stop()
	select {
	case <-gate:
	case <-deadline.C:
	case <-ctx.Done():
	}
}
