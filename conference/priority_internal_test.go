package conference

import (
	"context"
	"testing"
	"time"
)

// TestIntakeFirstLoneRequestDoesNotHoldWork: a request that is not part
// of a burst opens the gate the moment it is recorded.
func TestIntakeFirstLoneRequestDoesNotHoldWork(t *testing.T) {
	var g intakeFirst
	g.yield(context.Background()) // nothing ever entered: no wait
	g.arrive()
	g.leave()
	if g.gate != nil {
		t.Fatal("the gate stayed closed after a lone request was recorded")
	}
}

// TestIntakeFirstBurstHoldsWorkUntilQuiet: while part of a burst waits to
// be recorded every waiter is held on one gate; once the intake has been
// quiet the gate opens by itself and lets them all go. (Two enters in a
// row are a burst unless the machine stalls quietGap between them; then
// the last leave opens the gate at once, which the test accepts too.)
func TestIntakeFirstBurstHoldsWorkUntilQuiet(t *testing.T) {
	var g intakeFirst
	g.arrive()
	g.arrive() // within quietGap of the first, on any machine: a burst
	g.leave()

	const waiters = 50
	done := make(chan struct{}, waiters)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range waiters {
		go func() {
			g.yield(ctx)
			done <- struct{}{}
		}()
	}
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	if gate == nil {
		t.Fatal("the gate opened with a request still waiting to be recorded")
	}
	g.leave()
	// The gate itself must close (yieldAtMost would free the waiters too,
	// but never closes it).
	select {
	case <-gate:
	case <-time.After(10 * time.Second):
		t.Fatal("the gate did not open once the burst was recorded")
	}
	for range waiters {
		<-done
	}
}

// TestIntakeFirstOneRequestCountedTwiceIsAlone: a request expected on
// arrival and then enqueued is still one request, not a burst, so the
// gate opens the moment it is recorded.
func TestIntakeFirstOneRequestCountedTwiceIsAlone(t *testing.T) {
	var g intakeFirst
	g.arrive() // Expect
	g.enter()  // Arrival.Enqueue
	g.leave()  // the expectation ends
	g.leave()  // recorded
	if g.gate != nil {
		t.Fatal("the gate stayed closed after a lone request was recorded")
	}
}
