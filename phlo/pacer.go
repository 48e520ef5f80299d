package phlo

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The default budget is Plivo's documented account limit: 300 API requests
// per 5 s, counted across every API of the main account.
const (
	DefaultBudgetRequests = 300
	DefaultBudgetPer      = 5 * time.Second
)

// Bounds that ParseBudget and NewPacer accept; anything outside them is a
// typo, not a limit Plivo could have granted.
const (
	maxBudgetRequests = 1_000_000
	minBudgetPer      = time.Millisecond
	maxBudgetPer      = time.Hour
)

// Pacing constants. See Pacer for how they are used.
const (
	// marginDivisor sets the safety margin added to every window: 1/100 of
	// it (50 ms for 5 s).
	marginDivisor = 100
	// pauseDivisor sets the pause after a 429 without Retry-After: 1/5 of
	// the window (1 s for 5 s).
	pauseDivisor = 5
	// quietWindows is how many windows without a 429 the pacer waits
	// before it starts to recover its full budget.
	quietWindows = 2
	// recoverDivisor sets the recovery step: 1/4 of the budget comes back
	// per quiet window, so a halved budget is whole again after 2 steps.
	recoverDivisor = 4
)

// Budget is how many request attempts an account may make in any window
// of length Per. Plivo counts per account, so every Client that uses the
// same credentials must draw from one Pacer built from one Budget.
type Budget struct {
	Requests int
	Per      time.Duration
}

// DefaultBudget returns Plivo's documented limit, 300 per 5 s.
func DefaultBudget() Budget {
	return Budget{Requests: DefaultBudgetRequests, Per: DefaultBudgetPer}
}

// String formats b the way ParseBudget reads it, e.g. "300/5s".
func (b Budget) String() string { return strconv.Itoa(b.Requests) + "/" + b.Per.String() }

// Validate reports a budget that cannot describe a real limit.
func (b Budget) Validate() error {
	switch {
	case b.Requests < 1 || b.Requests > maxBudgetRequests:
		return fmt.Errorf("phlo: budget %s: requests must be between 1 and %d", b, maxBudgetRequests)
	case b.Per < minBudgetPer || b.Per > maxBudgetPer:
		return fmt.Errorf("phlo: budget %s: window must be between %v and %v", b, minBudgetPer, maxBudgetPer)
	}
	return nil
}

// ParseBudget reads a budget setting such as "300/5s", "40/s" or
// "1000/1m": a request count, a slash and a Go duration (a bare unit
// means one of it).
func ParseBudget(s string) (Budget, error) {
	n, per, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Budget{}, fmt.Errorf(`phlo: budget %q: want <requests>/<window>, e.g. "300/5s"`, s)
	}
	reqs, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil {
		return Budget{}, fmt.Errorf(`phlo: budget %q: %q is not a whole number of requests`, s, strings.TrimSpace(n))
	}
	per = strings.TrimSpace(per)
	if per != "" && !strings.ContainsRune("0123456789.+-", rune(per[0])) {
		per = "1" + per // "40/s"
	}
	d, err := time.ParseDuration(per)
	if err != nil {
		return Budget{}, fmt.Errorf(`phlo: budget %q: window is not a duration such as "5s"`, s)
	}
	b := Budget{Requests: reqs, Per: d}
	if err := b.Validate(); err != nil {
		return Budget{}, err
	}
	return b, nil
}

// Pacer spaces request attempts so that an account never exceeds its
// Budget, and backs off when Plivo says it did anyway. One Pacer serves
// every Client of an account (Config.Pacer); it is safe for concurrent use.
// Build one with NewPacer: the zero Pacer has no budget.
//
// Pacing: the pacer has Budget.Requests slots. An attempt holds a slot
// from the moment it may be sent until its answer (or failure) is in, and
// the slot stays taken for Budget.Per plus a margin after that. Since a
// request reaches Plivo after it is sent and before its answer comes back,
// any two attempts that share a slot reach Plivo more than Budget.Per
// apart, whatever the network latency: a server counting arrivals in any
// window of Budget.Per never sees more than Budget.Requests. The margin,
// 1% of the window (50 ms for 5 s), absorbs timestamp rounding on the
// server and an attempt that reaches Plivo only as it times out. Waiters
// get slots strictly in the order they asked (FIFO).
//
// Slowing down: a 429 means something else also spends the account's
// budget (another replica, another system). The pacer then halves its
// effective budget and grants nothing for a pause (Retry-After, capped at
// one window, or else a fifth of a window); 429s answering attempts that
// were sent before that cut do not cut again, so a burst of 429s halves
// once, like TCP's congestion window. After two windows without a new
// cut, a quarter of the budget comes back per window until it is whole.
// Replicas sharing an account thus each settle near their share instead
// of hammering Plivo in lockstep.
type Pacer struct {
	budget Budget
	margin time.Duration
	clock  clock

	mu       sync.Mutex
	inflight int         // slots held by attempts not yet finished
	cooling  []time.Time // when each released slot frees up, ascending
	queue    []*waiter   // FIFO; queue[0] arms the timer
	gen      uint64      // bumped by every cut
	pause    time.Time   // no grants before this
	cutAt    time.Time   // last cut; zero if none
	cutTo    int         // effective budget right after cutAt
}

// waiter is one caller queued for a slot.
type waiter struct {
	wake    chan struct{} // buffered 1: a nudge to look again
	granted bool
	gen     uint64
}

// NewPacer returns a pacer for b; a zero Budget means DefaultBudget.
func NewPacer(b Budget) (*Pacer, error) { return newPacer(b, realClock{}) }

func newPacer(b Budget, c clock) (*Pacer, error) {
	if b == (Budget{}) {
		b = DefaultBudget()
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	return &Pacer{budget: b, margin: b.Per / marginDivisor, clock: c}, nil
}

// Budget returns the budget the pacer was built with.
func (p *Pacer) Budget() Budget { return p.budget }

// Effective returns the budget the pacer applies right now: less than
// Budget while it slows down after a 429. Meant for metrics and logs.
func (p *Pacer) Effective() Budget {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Budget{Requests: p.effectiveLocked(p.clock.Now()), Per: p.budget.Per}
}

// wait blocks until the caller may send one attempt, and returns the
// generation to hand back to release. It fails at once if ctx is done or
// stop closed, or if ctx's deadline comes before the earliest moment the
// caller's turn could come (then with an error wrapping
// context.DeadlineExceeded and errWaitTooLong).
func (p *Pacer) wait(ctx context.Context, stop <-chan struct{}) (uint64, error) {
	if err := waitErr(ctx, stop); err != nil {
		return 0, err
	}
	p.mu.Lock()
	now := p.clock.Now()
	p.pruneLocked(now)
	if len(p.queue) == 0 && p.canGrantLocked(now) {
		p.inflight++
		g := p.gen
		p.mu.Unlock()
		return g, nil
	}
	if dl, ok := ctx.Deadline(); ok {
		if at := p.estimateLocked(now, len(p.queue), dl); at.After(dl) {
			p.mu.Unlock()
			return 0, &waitTooLongError{what: "a request slot", wait: at.Sub(now)}
		}
	}
	w := &waiter{wake: make(chan struct{}, 1)}
	p.queue = append(p.queue, w)
	p.mu.Unlock()

	for {
		var timer <-chan time.Time
		cancel := func() bool { return false }
		p.mu.Lock()
		now := p.clock.Now()
		p.dispatchLocked(now)
		if w.granted {
			p.mu.Unlock()
			return w.gen, nil
		}
		if p.queue[0] == w {
			if at, ok := p.nextEventLocked(now); ok {
				timer, cancel = p.clock.TimerAt(at)
			}
		}
		p.mu.Unlock()
		select {
		case <-timer:
		case <-w.wake:
		case <-ctx.Done():
			cancel()
			return 0, p.abandon(w, ctx.Err())
		case <-stop:
			cancel()
			return 0, p.abandon(w, ErrStopped)
		}
		cancel()
	}
}

// waitErr reports why no new wait may begin.
func waitErr(ctx context.Context, stop <-chan struct{}) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case <-stop:
		return ErrStopped
	default:
		return nil
	}
}

// abandon takes w out of the queue after its caller gave up. A slot
// granted in the meantime is given back unused.
func (p *Pacer) abandon(w *waiter, err error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if w.granted {
		p.inflight--
	} else {
		for i, q := range p.queue {
			if q == w {
				p.queue = append(p.queue[:i], p.queue[i+1:]...)
				break
			}
		}
	}
	p.dispatchLocked(p.clock.Now())
	p.nudgeHeadLocked()
	return err
}

// release ends the attempt that wait allowed: its slot cools down for one
// window. throttled reports a 429, which slows the pacer down unless the
// attempt predates the last slow-down.
func (p *Pacer) release(gen uint64, throttled bool, retryAfter time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	p.inflight--
	p.cooling = append(p.cooling, now.Add(p.budget.Per+p.margin))
	if throttled && gen == p.gen {
		p.cutLocked(now, retryAfter)
	}
	p.nudgeHeadLocked()
}

// cutLocked halves the effective budget and pauses grants.
func (p *Pacer) cutLocked(now time.Time, retryAfter time.Duration) {
	p.cutTo = max(1, p.effectiveLocked(now)/2)
	p.cutAt = now
	p.gen++
	pause := p.budget.Per / pauseDivisor
	if retryAfter > 0 {
		pause = min(retryAfter, p.budget.Per)
	}
	if end := now.Add(pause); end.After(p.pause) {
		p.pause = end
	}
}

// effectiveLocked is the budget in force at now.
func (p *Pacer) effectiveLocked(now time.Time) int {
	n := p.budget.Requests
	if p.cutAt.IsZero() {
		return n
	}
	quietEnd := p.cutAt.Add(quietWindows * p.budget.Per)
	if now.Before(quietEnd) {
		return p.cutTo
	}
	steps := 1 + now.Sub(quietEnd)/p.budget.Per
	if steps >= recoverDivisor {
		return n
	}
	return min(n, p.cutTo+int(steps)*recoverStep(n))
}

func recoverStep(n int) int { return (n + recoverDivisor - 1) / recoverDivisor }

// nextRecoveryLocked is when the effective budget next grows, if it will.
func (p *Pacer) nextRecoveryLocked(now time.Time) (time.Time, bool) {
	if p.cutAt.IsZero() || p.effectiveLocked(now) >= p.budget.Requests {
		return time.Time{}, false
	}
	quietEnd := p.cutAt.Add(quietWindows * p.budget.Per)
	if now.Before(quietEnd) {
		return quietEnd, true
	}
	return quietEnd.Add((now.Sub(quietEnd)/p.budget.Per + 1) * p.budget.Per), true
}

// pruneLocked forgets slots that have cooled down.
func (p *Pacer) pruneLocked(now time.Time) {
	i := 0
	for i < len(p.cooling) && !p.cooling[i].After(now) {
		i++
	}
	if i == len(p.cooling) {
		p.cooling = p.cooling[:0]
	} else {
		p.cooling = p.cooling[i:]
	}
}

func (p *Pacer) busyLocked() int { return p.inflight + len(p.cooling) }

func (p *Pacer) canGrantLocked(now time.Time) bool {
	return !now.Before(p.pause) && p.busyLocked() < p.effectiveLocked(now)
}

// dispatchLocked grants slots to queued waiters, in order, while the
// budget allows, and nudges the new head so it re-arms its timer.
func (p *Pacer) dispatchLocked(now time.Time) {
	p.pruneLocked(now)
	granted := false
	for len(p.queue) > 0 && p.canGrantLocked(now) {
		w := p.queue[0]
		p.queue[0] = nil
		p.queue = p.queue[1:]
		w.granted, w.gen = true, p.gen
		p.inflight++
		nudge(w)
		granted = true
	}
	if granted {
		p.nudgeHeadLocked()
	}
}

func (p *Pacer) nudgeHeadLocked() {
	if len(p.queue) > 0 {
		nudge(p.queue[0])
	}
}

func nudge(w *waiter) {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// nextEventLocked is the earliest time a grant might become possible
// without a release: a pause ending, a slot cooling down, the budget
// growing back. ok is false when only a release can help.
func (p *Pacer) nextEventLocked(now time.Time) (at time.Time, ok bool) {
	if now.Before(p.pause) {
		return p.pause, true
	}
	consider := func(t time.Time) {
		if t.After(now) && (!ok || t.Before(at)) {
			at, ok = t, true
		}
	}
	if busy, neff := p.busyLocked(), p.effectiveLocked(now); busy >= neff {
		if i := busy - neff; i < len(p.cooling) {
			consider(p.cooling[i])
		}
	}
	if t, rok := p.nextRecoveryLocked(now); rok {
		consider(t)
	}
	return at, ok
}

// estimateLocked is the earliest time the waiter at queue position pos
// could get a slot if nobody ahead gives up: attempts still in flight are
// assumed to end now, and the budget is taken as the largest it can be
// before deadline.
func (p *Pacer) estimateLocked(now time.Time, pos int, deadline time.Time) time.Time {
	n := p.effectiveLocked(deadline)
	lap := p.budget.Per + p.margin
	at := now
	switch i := p.busyLocked() - n + pos%n; {
	case i < 0:
	case i < len(p.cooling):
		at = p.cooling[i]
	default:
		at = now.Add(lap)
	}
	if p.pause.After(at) {
		at = p.pause
	}
	return at.Add(time.Duration(pos/n) * lap)
}

// clock is the pacer's time source; tests replace it.
type clock interface {
	Now() time.Time
	// TimerAt returns a channel that fires at (or after) at, and a func
	// that stops the timer. An absolute time, not a duration, so that a
	// fake clock moved between Now and TimerAt still fires on time.
	TimerAt(at time.Time) (<-chan time.Time, func() bool)
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) TimerAt(at time.Time) (<-chan time.Time, func() bool) {
	t := time.NewTimer(time.Until(at))
	return t.C, t.Stop
}

// waitTooLongError says a wait before sending would end after the
// caller's deadline, so the call gave up at once. It wraps
// context.DeadlineExceeded.
type waitTooLongError struct {
	what string
	wait time.Duration
}

func (e *waitTooLongError) Error() string {
	return fmt.Sprintf("waiting %v for %s would outlast the deadline", e.wait.Round(time.Millisecond), e.what)
}

func (e *waitTooLongError) Unwrap() error { return context.DeadlineExceeded }
