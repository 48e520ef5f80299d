package conference_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/conference"
	"github.com/mpc-bot/mpc-bot/conference/conferencetest"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

// TestOnePersonsLimitStallsNobodyElse: waiting for one's own limit holds
// no shared slot, so a second person's add goes out at once.
func TestOnePersonsLimitStallsNobodyElse(t *testing.T) {
	w := newWorld(t, func(c *conference.Config) { c.MaxPreparing = 2 })
	var ids []string
	for i := range 26 {
		rec, err := w.svc.Submit(w.ctx(), conference.Request{Kind: conference.KindAdd, By: person(carol), Place: place(),
			Targets: []conference.Target{number(t, fmt.Sprintf("+1212555%04d", i))}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rec.Request.ID)
	}
	// Twenty go out (the burst), six wait for carol's own limit.
	if err := w.rec.Wait(w.ctx(), func(all map[string][]conferencetest.Event) bool {
		waiting := 0
		for _, id := range ids {
			waiting += len(conferencetest.Of(all[id], "waiting"))
		}
		return waiting == 6
	}); err != nil {
		t.Fatal(err)
	}
	if err := w.phlo.Wait(w.ctx(), 20); err != nil {
		t.Fatal(err)
	}
	// Dave is not held up by carol's wait, although only two requests are
	// prepared at once.
	es := w.add(dave, number(t, "+14155550100"))
	if o := outcomes(es); len(o) != 1 || !o[0].Outcome.Accepted() {
		t.Fatalf("dave's add %+v", es)
	}
	if n := len(w.phlo.Requests()); n != 21 {
		t.Errorf("%d PHLO requests, want carol's 20 and dave's", n)
	}
	// Carol's limit refills at 30 a minute: two seconds a dial.
	w.clock.Advance(12 * time.Second)
	for _, id := range ids {
		if _, err := w.rec.WaitDone(w.ctx(), id); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(w.phlo.Requests()); n != 27 {
		t.Errorf("%d PHLO requests after the wait, want 27", n)
	}
}

// TestShutdownEndsWhatHasNotStartedAtOnce: requests waiting for their
// person's limit end at once, told they were not dialled, while a PHLO
// request in flight is waited for.
func TestShutdownEndsWhatHasNotStartedAtOnce(t *testing.T) {
	w := newWorld(t)
	w.phlo.Enqueue(phlotest.Response{Status: http.StatusCreated, Body: `{"api_id":"slow","error":""}`, Delay: 500 * time.Millisecond})
	var targets []conference.Target
	for i := range 20 {
		targets = append(targets, number(t, fmt.Sprintf("+1212555%04d", i)))
	}
	slow, err := w.svc.Submit(w.ctx(), conference.Request{Kind: conference.KindAdd, By: person(carol), Place: place(), Targets: targets[:1]})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.phlo.Wait(w.ctx(), 1); err != nil {
		t.Fatal(err)
	}
	// Nineteen more use up carol's burst; the next waits for her limit.
	w.add(carol, targets[1:]...)
	waiting, err := w.svc.Submit(w.ctx(), conference.Request{Kind: conference.KindAdd, By: person(carol), Place: place(), Targets: []conference.Target{number(t, "+14155550100")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.rec.Wait(w.ctx(), func(all map[string][]conferencetest.Event) bool {
		return len(conferencetest.Of(all[waiting.Request.ID], "waiting")) == 1
	}); err != nil {
		t.Fatal(err)
	}
	w.stop()
	es := w.rec.Events(waiting.Request.ID)
	in := conferencetest.Of(es, "interrupted")
	if len(in) != 1 || in[0].Interrupted.Cause != conference.CauseShutdown || len(in[0].Interrupted.NotSent) != 1 {
		t.Errorf("the waiting request: %+v", es)
	}
	if o := outcomes(w.rec.Events(slow.Request.ID)); len(o) != 1 || o[0].Outcome.APIID != "slow" {
		t.Errorf("the request in flight did not finish: %+v", w.rec.Events(slow.Request.ID))
	}
	if _, err := w.svc.Submit(context.Background(), conference.Request{Kind: conference.KindAdd, By: person(carol), Place: place()}); !errors.Is(err, conference.ErrShuttingDown) {
		t.Errorf("Submit after stop: %v", err)
	}
}

// TestTakeoverOfADeadInstance: what a dead instance accepted is found by a
// live one, which says what was sent (outcome unknown) and what was not
// (with a Retry that dials only those).
func TestTakeoverOfADeadInstance(t *testing.T) {
	w := newWorld(t)
	ctx := w.ctx()
	// The first scan has run once the maintenance loop waits on its three
	// timers; the clock may move on only then, or the next scan's timer
	// would start from the moved clock and never fire.
	if !w.clock.WaitTimers(3, ctx.Done()) {
		t.Fatal("the maintenance loop did not start")
	}
	dead := "i-dead"
	req := conference.Request{ID: "deadbeef0001", Key: "envelope:dead", Kind: conference.KindAdd, By: person(carol), Place: place(),
		Targets: []conference.Target{conference.UserTarget(alice), number(t, "+14155550100")}, Accepted: w.clock.Now()}
	if err := w.store.Heartbeat(ctx, dead, w.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.Accept(ctx, dead, w.clock.Now().Add(-time.Minute), []conference.Request{req}); err != nil {
		t.Fatal(err)
	}
	// It had sent alice's dial and died before Plivo answered.
	if err := w.store.Begin(ctx, conference.Entry{ID: req.ID + "/0", Request: req.ID, Verb: conference.VerbCall, By: req.By, Place: req.Place,
		Bridge: conference.DefaultBridge, To: aliceNumber, ToUser: alice, Role: conference.RoleAgent, TriggerSource: carolNumber}); err != nil {
		t.Fatal(err)
	}
	// Its heartbeat goes stale; the next scan takes over.
	w.clock.Advance(30 * time.Second)
	if err := w.rec.Wait(ctx, func(all map[string][]conferencetest.Event) bool { return len(all[req.ID]) >= 2 }); err != nil {
		t.Fatal(err)
	}
	in := conferencetest.Of(w.rec.Events(req.ID), "interrupted")
	if len(in) != 1 || in[0].Interrupted.Cause != conference.CauseInterrupted || len(in[0].Interrupted.Sent) != 1 || len(in[0].Interrupted.NotSent) != 1 ||
		in[0].Interrupted.NotSent[0].Address.String() != "+14155550100" {
		t.Fatalf("takeover reported %+v", w.rec.Events(req.ID))
	}
	e, err := w.store.FindEntry(ctx, req.ID+"/0")
	if err != nil || e.Status != conference.StatusUnknown || e.Cause != conference.CauseStopped {
		t.Errorf("the sent dial: %+v, %v", e, err)
	}
	// Retry dials only whom it did not reach.
	es := w.run(conference.Request{Kind: conference.KindRetryRequest, Of: req.ID, By: person(dave), Place: place()})
	reqs := w.phlo.Requests()
	if len(outcomes(es)) != 1 || len(reqs) != 1 || reqs[0].To != "+14155550100" || reqs[0].TriggerSource != daveNumber {
		t.Errorf("retry of the rest: %+v; PHLO %+v", es, reqs)
	}
	// A re-delivery of the dead instance's envelope acts no more.
	if _, err := w.svc.Submit(ctx, req); !errors.Is(err, conference.ErrDuplicate) {
		t.Errorf("re-delivery after the takeover: %v", err)
	}
}

// TestRedeliveryOfADeadInstancesQueuedRequestRunsIt: Slack re-delivers an
// envelope a dead instance accepted but never acknowledged; nothing was
// sent, so the live instance runs it.
func TestRedeliveryOfADeadInstancesQueuedRequestRunsIt(t *testing.T) {
	// No scan after the first, so only the re-delivery can find it.
	w := newWorld(t, func(c *conference.Config) { c.AdoptEvery = time.Hour })
	ctx := w.ctx()
	// The first scan has run once the maintenance loop waits on its three
	// timers (heartbeat, scan, prune); the other instance is alive then.
	if !w.clock.WaitTimers(3, ctx.Done()) {
		t.Fatal("the maintenance loop did not start")
	}
	req := conference.Request{ID: "deadbeef0002", Key: "envelope:E9", Kind: conference.KindAdd, By: person(carol), Place: place(),
		Targets: []conference.Target{number(t, "+14155550100")}}
	if err := w.store.Heartbeat(ctx, "i-gone", w.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.Accept(ctx, "i-gone", w.clock.Now().Add(-time.Minute), []conference.Request{req}); err != nil {
		t.Fatal(err)
	}
	// It dies: its heartbeat goes stale.
	w.clock.Advance(30 * time.Second)
	again := req
	again.ID = ""
	rec, err := w.svc.Submit(ctx, again)
	if err != nil || rec.Request.ID != req.ID {
		t.Fatalf("Submit of the re-delivery: %+v, %v", rec, err)
	}
	es, err := w.rec.WaitDone(ctx, req.ID)
	if err != nil || len(outcomes(es)) != 1 {
		t.Errorf("events %+v, %v", es, err)
	}
}

// TestDatabaseOutageIsSaidNotSwallowed: a store that fails refuses the
// request in Submit, and says so.
func TestDatabaseOutageIsSaidNotSwallowed(t *testing.T) {
	w := newWorld(t)
	w.store.Close()
	_, err := w.svc.Submit(w.ctx(), conference.Request{Kind: conference.KindAdd, By: person(carol), Place: place(), Targets: []conference.Target{number(t, "+14155550100")}})
	var nr *conference.NotRecordedError
	if !errors.As(err, &nr) {
		t.Fatalf("Submit with the database down: %v", err)
	}
	if w.svc.StoreFault() == nil {
		t.Error("StoreFault does not report the failing writes")
	}
	if _, err := w.svc.Claim(w.ctx(), "event:x"); !errors.As(err, &nr) {
		t.Errorf("Claim with the database down: %v", err)
	}
	if n := len(w.phlo.Requests()); n != 0 {
		t.Errorf("%d PHLO requests", n)
	}
}
