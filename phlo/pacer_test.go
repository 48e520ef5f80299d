package phlo

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock that only moves when told to. It starts at the
// real time so that context deadlines (real time) compare sensibly.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	c       chan time.Time
	stopped bool
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) TimerAt(at time.Time) (<-chan time.Time, func() bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{at: at, c: make(chan time.Time, 1)}
	if !at.After(f.now) {
		t.c <- f.now
	} else {
		f.timers = append(f.timers, t)
	}
	return t.c, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// Advance moves the clock and fires the timers that are due.
func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	kept := f.timers[:0]
	for _, t := range f.timers {
		switch {
		case t.stopped:
		case !t.at.After(f.now):
			t.c <- f.now
		default:
			kept = append(kept, t)
		}
	}
	f.timers = kept
}

func testPacer(t *testing.T, b Budget) (*Pacer, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	p, err := newPacer(b, clk)
	if err != nil {
		t.Fatal(err)
	}
	return p, clk
}

// grant is one wait's result.
type grant struct {
	id  int
	gen uint64
	err error
}

// startWait starts a wait and blocks until it has either returned or
// joined the queue, so waits started one after another queue in order.
func startWait(t *testing.T, p *Pacer, ctx context.Context, stop <-chan struct{}, id int, out chan<- grant) {
	t.Helper()
	p.mu.Lock()
	before := len(p.queue)
	p.mu.Unlock()
	done := make(chan struct{})
	go func() {
		g, err := p.wait(ctx, stop)
		out <- grant{id, g, err}
		close(done)
	}()
	waitFor(t, func() bool {
		select {
		case <-done:
			return true
		default:
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.queue) > before
	})
}

// waitFor polls cond until it holds; it never asserts on elapsed time.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}

func queued(p *Pacer) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.queue)
}

// take gets n slots that are free now.
func take(t *testing.T, p *Pacer, n int) []uint64 {
	t.Helper()
	var gens []uint64
	for range n {
		g, err := p.wait(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		gens = append(gens, g)
	}
	return gens
}

// receive returns the ids (and generations) of exactly n grants from out.
func receive(t *testing.T, out <-chan grant, n int) map[int]uint64 {
	t.Helper()
	got := map[int]uint64{}
	for range n {
		select {
		case g := <-out:
			if g.err != nil {
				t.Fatalf("wait %d: %v", g.id, g.err)
			}
			got[g.id] = g.gen
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d of %d grants arrived", len(got), n)
		}
	}
	return got
}

// noGrant checks that no wait is, or may yet be, granted at the clock's
// time. A woken waiter runs the pacer's dispatch in its own goroutine,
// perhaps later than this check; so the check asks the pacer itself,
// under its lock, whether dispatch would grant the queue's head now.
func noGrant(t *testing.T, p *Pacer, out <-chan grant) {
	t.Helper()
	select {
	case g := <-out:
		t.Fatalf("unexpected grant %+v", g)
	default:
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	p.pruneLocked(now)
	if len(p.queue) > 0 && p.canGrantLocked(now) {
		t.Fatalf("a slot is free for the queue's head at %v; nothing should be yet", now)
	}
}

func TestPacerSlotsCoolDownForAWindowAfterRelease(t *testing.T) {
	t.Parallel()
	p, clk := testPacer(t, Budget{Requests: 3, Per: 10 * time.Second})
	margin := 100 * time.Millisecond // 1% of the window
	gens := take(t, p, 3)
	out := make(chan grant, 4)
	startWait(t, p, t.Context(), nil, 1, out)

	// The slots are in flight: time alone frees nothing.
	clk.Advance(time.Hour)
	noGrant(t, p, out)

	// Released at different times, they free up a window (and the
	// margin) after each release, not after the grant.
	p.release(gens[0], false, 0)
	clk.Advance(time.Second)
	p.release(gens[1], false, 0)
	p.release(gens[2], false, 0)
	clk.Advance(9*time.Second + margin - time.Nanosecond)
	noGrant(t, p, out)
	clk.Advance(time.Nanosecond)
	receive(t, out, 1)

	// One slot is taken again, two cool down until 1 s later.
	startWait(t, p, t.Context(), nil, 2, out)
	clk.Advance(time.Second - time.Nanosecond)
	noGrant(t, p, out)
	clk.Advance(time.Nanosecond)
	receive(t, out, 1)
	if g, err := p.wait(t.Context(), nil); err != nil || g != 0 {
		t.Fatalf("third slot: %v", err)
	}
	if n := queued(p); n != 0 {
		t.Errorf("%d still queued", n)
	}
}

func TestPacerIsFIFO(t *testing.T) {
	t.Parallel()
	p, clk := testPacer(t, Budget{Requests: 2, Per: time.Second})
	gens := take(t, p, 2)
	out := make(chan grant, 5)
	for id := range 5 {
		startWait(t, p, t.Context(), nil, id, out)
	}
	for round, want := range [][]int{{0, 1}, {2, 3}, {4}} {
		for _, g := range gens {
			p.release(g, false, 0)
		}
		gens = gens[:0]
		clk.Advance(2 * time.Second)
		got := receive(t, out, len(want))
		for _, id := range want {
			g, ok := got[id]
			if !ok {
				t.Fatalf("round %d: granted %v, want %v", round, got, want)
			}
			gens = append(gens, g)
		}
		noGrant(t, p, out)
	}
}

func TestPacerNewcomerDoesNotOvertakeQueue(t *testing.T) {
	t.Parallel()
	p, clk := testPacer(t, Budget{Requests: 1, Per: time.Second})
	g := take(t, p, 1)[0]
	out := make(chan grant, 2)
	startWait(t, p, t.Context(), nil, 1, out)
	p.release(g, false, 0)
	clk.Advance(2 * time.Second) // a slot is free, and waiter 1 is first
	receive(t, out, 1)
	startWait(t, p, t.Context(), nil, 2, out)
	noGrant(t, p, out)
	if queued(p) != 1 {
		t.Fatal("newcomer not queued behind the granted slot")
	}
}

func TestPacerWaitEndsOnCancelAndStop(t *testing.T) {
	t.Parallel()
	p, clk := testPacer(t, Budget{Requests: 1, Per: time.Second})
	g := take(t, p, 1)[0]
	ctx, cancel := context.WithCancel(t.Context())
	stop := make(chan struct{})
	out := make(chan grant, 3)
	startWait(t, p, ctx, nil, 1, out)          // head, cancelled
	startWait(t, p, t.Context(), stop, 2, out) // stopped
	startWait(t, p, t.Context(), nil, 3, out)  // gets the slot
	cancel()
	close(stop)
	errs := map[int]error{}
	for range 2 {
		r := <-out
		errs[r.id] = r.err
	}
	if !errors.Is(errs[1], context.Canceled) || !errors.Is(errs[2], ErrStopped) {
		t.Fatalf("errors = %v", errs)
	}
	if n := queued(p); n != 1 {
		t.Fatalf("%d queued, want 1", n)
	}
	p.release(g, false, 0)
	clk.Advance(2 * time.Second)
	if got := receive(t, out, 1); len(got) != 1 {
		t.Errorf("granted %v", got)
	}

	// Already cancelled or stopped: no slot is taken even if one is free.
	clk.Advance(2 * time.Second)
	p.release(0, false, 0)
	clk.Advance(2 * time.Second)
	if _, err := p.wait(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: %v", err)
	}
	if _, err := p.wait(t.Context(), stop); !errors.Is(err, ErrStopped) {
		t.Errorf("closed stop: %v", err)
	}
	if _, err := p.wait(t.Context(), nil); err != nil {
		t.Errorf("the slot was lost: %v", err)
	}
}

func TestPacerFailsFastWhenTheTurnComesAfterTheDeadline(t *testing.T) {
	t.Parallel()
	p, clk := testPacer(t, Budget{Requests: 2, Per: 10 * time.Second})
	gens := take(t, p, 2)
	p.release(gens[0], false, 0) // free at +10.1 s
	clk.Advance(5 * time.Second)
	p.release(gens[1], false, 0) // free at +15.1 s

	at := func(d time.Duration) context.Context {
		ctx, cancel := context.WithDeadline(t.Context(), clk.Now().Add(d))
		t.Cleanup(cancel)
		return ctx
	}
	// The first slot frees 5.1 s from now.
	_, err := p.wait(at(5*time.Second), nil)
	var wl *waitTooLongError
	if !errors.As(err, &wl) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "5.1s") {
		t.Fatalf("err = %v", err)
	}
	out := make(chan grant, 2)
	startWait(t, p, at(6*time.Second), nil, 1, out)
	// Second in line: its turn is 10.1 s away.
	if _, err := p.wait(at(10*time.Second), nil); !errors.As(err, &wl) {
		t.Fatalf("second in line: %v", err)
	}
	startWait(t, p, at(11*time.Second), nil, 2, out)
	// Third in line: a slot must cool down twice (2 × 10.1 s, from now at
	// the earliest, as the first holder may answer at once).
	if _, err := p.wait(at(15*time.Second), nil); !errors.As(err, &wl) {
		t.Fatalf("third in line: %v", err)
	}
	if n := queued(p); n != 2 {
		t.Errorf("queued = %d", n)
	}
}

func TestPacerSlowsDownAfter429(t *testing.T) {
	t.Parallel()
	const w = 10 * time.Second
	p, clk := testPacer(t, Budget{Requests: 8, Per: w})
	eff := func() int { return p.Effective().Requests }

	gens := take(t, p, 3)
	p.release(gens[0], true, 0)
	if eff() != 4 {
		t.Fatalf("after a 429: effective %d, want 4", eff())
	}
	// 429s to attempts sent before the cut do not cut again.
	p.release(gens[1], true, 0)
	p.release(gens[2], true, 0)
	if eff() != 4 {
		t.Fatalf("after stale 429s: effective %d, want 4", eff())
	}

	// Paused for a fifth of the window even though slots are free.
	out := make(chan grant, 8)
	startWait(t, p, t.Context(), nil, 1, out)
	clk.Advance(w/5 - time.Nanosecond)
	noGrant(t, p, out)
	clk.Advance(time.Nanosecond)
	g1 := receive(t, out, 1)[1]

	// 3 cooling + 1 in flight = 4 = the effective budget: the next waits.
	startWait(t, p, t.Context(), nil, 2, out)
	noGrant(t, p, out)

	// A 429 to an attempt sent after the cut halves again; the server's
	// Retry-After sets the pause.
	p.release(g1, true, 3*time.Second)
	if eff() != 2 {
		t.Fatalf("after a second 429: effective %d, want 2", eff())
	}
	// Busy 4 (all cooling: three until 10.1 s, one until 12.1 s); with a
	// budget of 2, waiter 2 goes when the first three have cooled down.
	clk.Advance(w + w/100 - w/5 - time.Nanosecond)
	noGrant(t, p, out)
	clk.Advance(time.Nanosecond)
	receive(t, out, 1)
}

func TestPacerRecoversAfterQuietWindows(t *testing.T) {
	t.Parallel()
	const w = time.Second
	p, clk := testPacer(t, Budget{Requests: 4, Per: w})
	eff := func() int { return p.Effective().Requests }
	p.release(take(t, p, 1)[0], true, 0) // cut to 2 at t=0
	clk.Advance(w + w/100)               // cooled down, pause over
	take(t, p, 2)                        // in flight: busy 2 = effective 2
	out := make(chan grant, 1)
	startWait(t, p, t.Context(), nil, 1, out)

	// Only the recovery step, two quiet windows after the cut, lets the
	// waiter go: nothing is released.
	clk.Advance(2*w - (w + w/100) - time.Nanosecond)
	noGrant(t, p, out)
	if eff() != 2 {
		t.Fatalf("before recovery: effective %d", eff())
	}
	clk.Advance(time.Nanosecond)
	receive(t, out, 1)
	if eff() != 3 {
		t.Fatalf("after 2 quiet windows: effective %d, want 3", eff())
	}
	clk.Advance(w)
	if eff() != 4 {
		t.Fatalf("after 3 quiet windows: effective %d, want 4", eff())
	}
	clk.Advance(100 * w)
	if eff() != 4 {
		t.Fatalf("recovered beyond the budget: %d", eff())
	}
}

func TestPacerRetryAfterPauseIsCappedAtOneWindow(t *testing.T) {
	t.Parallel()
	p, clk := testPacer(t, Budget{Requests: 4, Per: time.Second})
	g := take(t, p, 1)[0]
	p.release(g, true, time.Hour)
	out := make(chan grant, 1)
	startWait(t, p, t.Context(), nil, 1, out)
	clk.Advance(time.Second - time.Nanosecond)
	noGrant(t, p, out)
	clk.Advance(time.Nanosecond)
	receive(t, out, 1)
}

func TestPacerHalvesDownToOne(t *testing.T) {
	t.Parallel()
	p, clk := testPacer(t, Budget{Requests: 3, Per: time.Second})
	for _, want := range []int{1, 1} {
		clk.Advance(2 * time.Second) // past any pause and cool-down
		g := take(t, p, 1)[0]
		p.release(g, true, 0)
		if e := p.Effective().Requests; e != want {
			t.Fatalf("effective %d, want %d", e, want)
		}
	}
}

func TestBudgetParseAndValidate(t *testing.T) {
	t.Parallel()
	good := map[string]Budget{
		"300/5s":      {300, 5 * time.Second},
		" 300 / 5s ":  {300, 5 * time.Second},
		"40/s":        {40, time.Second},
		"1000/1m":     {1000, time.Minute},
		"1/1h":        {1, time.Hour},
		"10/1500ms":   {10, 1500 * time.Millisecond},
		"2/.5s":       {2, 500 * time.Millisecond},
		"1000000/1ms": {1_000_000, time.Millisecond},
	}
	for in, want := range good {
		b, err := ParseBudget(in)
		if err != nil || b != want {
			t.Errorf("ParseBudget(%q) = %v, %v; want %v", in, b, err, want)
		}
		if again, err := ParseBudget(b.String()); err != nil || again != b {
			t.Errorf("round trip of %v: %v, %v", b, again, err)
		}
	}
	bad := map[string]string{
		"":          "want <requests>/<window>",
		"300":       "want <requests>/<window>",
		"300 per 5": "want <requests>/<window>",
		"x/5s":      "not a whole number",
		"1.5/5s":    "not a whole number",
		"300/5":     "not a duration",
		"300/":      "not a duration",
		"300/five":  "not a duration",
		"0/5s":      "between 1 and",
		"-1/5s":     "between 1 and",
		"2000000/s": "between 1 and",
		"300/0s":    "window must be",
		"300/-5s":   "window must be",
		"300/1us":   "window must be",
		"300/2h":    "window must be",
	}
	for in, want := range bad {
		if _, err := ParseBudget(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseBudget(%q) err = %v, want %q", in, err, want)
		}
	}
	if _, err := NewPacer(Budget{Requests: 5}); err == nil {
		t.Error("NewPacer accepted a budget without a window")
	}
	if p, err := NewPacer(Budget{}); err != nil || p.Budget() != DefaultBudget() || p.margin != 50*time.Millisecond {
		t.Errorf("NewPacer(zero) = %+v, %v", p, err)
	}
}
