package store_test

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/address"
	"github.com/mpc-bot/mpc-bot/conference"
	"github.com/mpc-bot/mpc-bot/store"
	"github.com/mpc-bot/mpc-bot/store/storetest"
)

// accept is Accept that fails the test on error.
func accept(t testing.TB, s *store.Store, owner string, staleBefore time.Time, reqs ...conference.Request) []conference.Admission {
	t.Helper()
	adm, err := s.Accept(ctxFor(t), owner, staleBefore, reqs)
	if err != nil {
		t.Fatalf("Accept(%s): %v", owner, err)
	}
	if len(adm) != len(reqs) {
		t.Fatalf("Accept(%s) answered %d of %d requests", owner, len(adm), len(reqs))
	}
	return adm
}

// heartbeat is Heartbeat that fails the test on error.
func heartbeat(t testing.TB, s *store.Store, instance string, at time.Time) {
	t.Helper()
	if err := s.Heartbeat(ctxFor(t), instance, at); err != nil {
		t.Fatalf("Heartbeat(%s): %v", instance, err)
	}
}

// req is a minimal request.
func req(id, key string) conference.Request {
	return conference.Request{ID: id, Key: key, Kind: conference.KindAdd, By: alice,
		Place: conference.Place{Team: "T1", Channel: "C1"}, Accepted: t0}
}

// acceptances lists what Accept made of each request, for compact
// comparisons: "A" accepted, "D" duplicate, "O" adopted (taken Over), each
// with the stored request's ID and state.
func acceptances(adm []conference.Admission) string {
	var out []string
	for _, a := range adm {
		out = append(out, fmt.Sprintf("%s:%s:%s", map[conference.Acceptance]string{
			conference.Accepted: "A", conference.Duplicate: "D", conference.Adopted: "O"}[a.Acceptance], a.Request.ID, a.State))
	}
	return fmt.Sprint(out)
}

func mustParse(t *testing.T, s string) address.Address {
	t.Helper()
	a, err := address.Parse(s, "")
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return a
}

// TestRequestRoundTrip checks that every field of a Request survives the
// store, so that another instance can finish it.
func TestRequestRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store, _ *storetest.Clock) {
		ctx := ctxFor(t)
		full := conference.Request{
			ID: "3f9a00000001", Key: "slack/E1/Ev123", Kind: conference.KindTransfer,
			By:    conference.Person{Team: "T1", Enterprise: "E1", User: "W1"},
			Place: conference.Place{Team: "T1", Channel: "C1", Thread: "1716206400.000100"},
			Reply: []byte{0, 1, 2, '"', 0xff, '\n'},
			Targets: []conference.Target{
				conference.NumberTarget(mustParse(t, "+14155550100")),
				conference.NumberTarget(mustParse(t, "sip:alice@example.com")),
				conference.UserTarget("U9"),
				{Group: "S1", GroupName: "oncall"},
			},
			Role: conference.RoleAgent, Verb: conference.VerbWarmTransfer, Note: "customer escalation ✓",
			Bridge: "sales", Of: "abc/0", Try: 2,
			Accepted: time.Date(2026, 5, 20, 12, 0, 0, 123456789, time.UTC),
		}
		adm := accept(t, s, "A", t0, full)
		if adm[0].Acceptance != conference.Accepted || adm[0].State != conference.StateQueued || !reflect.DeepEqual(adm[0].Request, full) {
			t.Errorf("Accept = %+v, want accepted, queued, the request", adm[0])
		}
		got, state, err := s.FindRequest(ctx, full.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, full) || state != conference.StateQueued {
			t.Errorf("FindRequest =\n%+v, %s\nwant\n%+v, queued", got, state, full)
		}
		if got.Targets[0].Address.String() != "+14155550100" || got.Targets[1].Address.Kind() != address.SIP {
			t.Errorf("addresses read back as %v, %v", got.Targets[0].Address, got.Targets[1].Address)
		}
		_, _, err = s.FindRequest(ctx, "nope")
		errIs(t, "FindRequest of an unknown ID", err, conference.ErrNotFound)
	})
}

func TestAcceptDuplicatesAndAdoption(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		ctx := ctxFor(t)
		stale := func() time.Time { return clock.Now().Add(-30 * time.Second) }
		heartbeat(t, s, "A", clock.Now())
		heartbeat(t, s, "B", clock.Now())

		noTime := req("r2", "k2")
		noTime.Accepted = time.Time{}
		adm := accept(t, s, "A", stale(), req("r1", "k1"), noTime)
		if got := acceptances(adm); got != "[A:r1:queued A:r2:queued]" {
			t.Fatalf("first Accept = %s", got)
		}
		if !adm[1].Request.Accepted.Equal(t0) {
			t.Errorf("Accepted defaulted to %v, want the store's clock %v", adm[1].Request.Accepted, t0)
		}

		// Re-deliveries: to the owner itself, to another live instance, and
		// twice within one batch.
		if got := acceptances(accept(t, s, "A", stale(), req("r1-again", "k1"))); got != "[D:r1:queued]" {
			t.Errorf("re-delivery to the owner = %s, want the stored r1, duplicate", got)
		}
		if got := acceptances(accept(t, s, "B", stale(), req("r1-again", "k1"))); got != "[D:r1:queued]" {
			t.Errorf("re-delivery to a live other = %s", got)
		}
		if got := acceptances(accept(t, s, "B", stale(), req("x1", "kx"), req("x2", "kx"), req("x1", "kx"))); got != "[A:x1:queued D:x1:queued D:x1:queued]" {
			t.Errorf("a key twice in a batch = %s", got)
		}

		// A dies (no heartbeat for a minute) having started r1; B, alive,
		// adopts r1 and r2 when they come again, with the states A left.
		if err := s.SetState(ctx, "r1", conference.StateRunning); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		heartbeat(t, s, "B", clock.Now())
		heartbeat(t, s, "C", clock.Now())
		adm = accept(t, s, "B", stale(), req("r1-again", "k1"), req("new", "k3"), req("r2-again", "k2"))
		if got := acceptances(adm); got != "[O:r1:running A:new:queued O:r2:queued]" {
			t.Fatalf("Accept after A died = %s", got)
		}
		if !reflect.DeepEqual(adm[0].Request, req("r1", "k1")) {
			t.Errorf("adopted request = %+v, want the stored r1", adm[0].Request)
		}
		// Now B owns them, and B is alive.
		if got := acceptances(accept(t, s, "C", stale(), req("r1-again", "k1"))); got != "[D:r1:running]" {
			t.Errorf("after adoption = %s, want a duplicate", got)
		}

		// A done request is never adopted; one whose owner left is, at once.
		if err := s.SetState(ctx, "r1", conference.StateDone); err != nil {
			t.Fatal(err)
		}
		if err := s.Leave(ctx, "B"); err != nil {
			t.Fatal(err)
		}
		if got := acceptances(accept(t, s, "C", stale(), req("r1-again", "k1"), req("r2-again", "k2"))); got != "[D:r1:done O:r2:queued]" {
			t.Errorf("after B left = %s", got)
		}

		// Bad input is refused before anything is written; a batch that
		// fails in the database leaves nothing behind either.
		for name, reqs := range map[string][]conference.Request{
			"no ID":  {req("", "k9")},
			"no key": {req("r9", "")},
		} {
			if _, err := s.Accept(ctx, "C", stale(), reqs); err == nil {
				t.Errorf("Accept with %s succeeded", name)
			}
		}
		if _, err := s.Accept(ctx, "", stale(), []conference.Request{req("r9", "k9")}); err == nil {
			t.Error("Accept without an owner succeeded")
		}
		if _, err := s.Accept(ctx, "C", stale(), []conference.Request{req("r9", "k9"), req("r1", "another key")}); err == nil {
			t.Error("Accept of a request ID stored under another key succeeded")
		}
		if _, _, err := s.FindRequest(ctx, "r9"); err == nil {
			t.Error("the rest of a failed batch was stored")
		}
		if adm, err := s.Accept(ctx, "C", stale(), nil); err != nil || len(adm) != 0 {
			t.Errorf("Accept of nothing = %v, %v", adm, err)
		}
	})
}

func TestAdopt(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		ctx := ctxFor(t)
		stale := func() time.Time { return clock.Now().Add(-30 * time.Second) }
		heartbeat(t, s, "dead", clock.Now())
		accept(t, s, "dead", stale(), req("d1", "k1"))
		clock.Advance(time.Millisecond)
		accept(t, s, "dead", stale(), req("d2", "k2"), req("d3", "k3"))
		accept(t, s, "ghost", stale(), req("g1", "k4")) // never heartbeated: dead
		heartbeat(t, s, "live", clock.Now())
		accept(t, s, "live", stale(), req("l1", "k5"))
		accept(t, s, "me", stale(), req("m1", "k6"))
		for id, st := range map[string]conference.RequestState{"d2": conference.StateRunning, "d3": conference.StateDone} {
			if err := s.SetState(ctx, id, st); err != nil {
				t.Fatal(err)
			}
		}

		clock.Advance(time.Minute)
		heartbeat(t, s, "live", clock.Now())
		heartbeat(t, s, "me", clock.Now())
		adopted, err := s.Adopt(ctx, "me", stale())
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range adopted {
			got = append(got, a.Request.ID+":"+string(a.State))
		}
		// Oldest first; not the done one, not the live owner's, not mine.
		if fmt.Sprint(got) != "[d1:queued d2:running g1:queued]" {
			t.Errorf("Adopt = %v", got)
		}
		if adopted[0].Request.Key != "k1" || adopted[0].Request.By != alice {
			t.Errorf("adopted request = %+v, want the stored one", adopted[0].Request)
		}
		if again, err := s.Adopt(ctx, "other", clock.Now().Add(-time.Hour)); err != nil || len(again) != 0 {
			t.Errorf("second Adopt = %+v, %v; want nothing (me is alive by that cut-off)", again, err)
		}
		if _, err := s.Adopt(ctx, "", stale()); err == nil {
			t.Error("Adopt without an instance succeeded")
		}
	})
}

// TestAdoptionIsAtomic has two live instances, on two Stores sharing one
// database, take over a dead one's requests at once, by Adopt and by
// Accept of re-deliveries: every request must be taken exactly once.
func TestAdoptionIsAtomic(t *testing.T) {
	forEachConfig(t, func(t *testing.T, cfg store.Config) {
		const n = 30
		stores := []*store.Store{openStore(t, cfg), openStore(t, cfg)}
		now := time.Now()
		var reqs []conference.Request
		for i := range n {
			reqs = append(reqs, req(fmt.Sprint("r", i), fmt.Sprint("k", i)))
		}
		accept(t, stores[0], "dead", now, reqs...) // "dead" never heartbeats
		for i := range stores {
			heartbeat(t, stores[i], fmt.Sprint("live", i), now)
		}

		var (
			mu    sync.Mutex
			taken = map[string][]string{} // request ID → instances that took it
			wg    sync.WaitGroup
			start = make(chan struct{})
		)
		took := func(instance, id string) {
			mu.Lock()
			defer mu.Unlock()
			taken[id] = append(taken[id], instance)
		}
		for i, s := range stores {
			me := fmt.Sprint("live", i)
			for g := range 4 {
				wg.Go(func() {
					<-start
					if g%2 == 0 {
						adopted, err := s.Adopt(ctxFor(t), me, now.Add(-time.Minute))
						if err != nil {
							t.Errorf("Adopt: %v", err)
						}
						for _, a := range adopted {
							took(me, a.Request.ID)
						}
						return
					}
					// Re-deliveries, in an order of their own.
					batch := make([]conference.Request, n)
					for j := range n {
						batch[j] = reqs[(j*7+g*11)%n]
					}
					adm, err := s.Accept(ctxFor(t), me, now.Add(-time.Minute), batch)
					if err != nil {
						t.Errorf("Accept: %v", err)
					}
					for _, a := range adm {
						if a.Acceptance == conference.Adopted {
							took(me, a.Request.ID)
						}
					}
				})
			}
		}
		close(start)
		wg.Wait()
		for _, r := range reqs {
			if len(taken[r.ID]) != 1 {
				t.Errorf("%s taken by %v, want exactly one instance", r.ID, taken[r.ID])
			}
		}
	})
}

// TestAcceptIsOnceOnly has goroutines on two Stores accept the same new
// keys at once: each key is accepted exactly once.
func TestAcceptIsOnceOnly(t *testing.T) {
	forEachConfig(t, func(t *testing.T, cfg store.Config) {
		const n = 20
		stores := []*store.Store{openStore(t, cfg), openStore(t, cfg)}
		now := time.Now()
		var (
			mu       sync.Mutex
			accepted = map[string]int{}
			wg       sync.WaitGroup
			start    = make(chan struct{})
		)
		for i, s := range stores {
			me := fmt.Sprint("live", i)
			heartbeat(t, s, me, now)
			for g := range 5 {
				wg.Go(func() {
					<-start
					batch := make([]conference.Request, n)
					for j := range n {
						k := (j*3 + g*7 + i) % n
						batch[j] = req(fmt.Sprintf("%s-%d-%d", me, g, j), fmt.Sprint("k", k))
					}
					adm, err := s.Accept(ctxFor(t), me, now.Add(-time.Minute), batch)
					if err != nil {
						t.Errorf("Accept: %v", err)
						return
					}
					mu.Lock()
					defer mu.Unlock()
					for j, a := range adm {
						switch a.Acceptance {
						case conference.Accepted:
							accepted[batch[j].Key]++
						case conference.Duplicate:
							if a.Request.Key != batch[j].Key {
								t.Errorf("duplicate of %s came back as %+v", batch[j].Key, a.Request)
							}
						default:
							t.Errorf("%s: acceptance %v among live instances", batch[j].Key, a.Acceptance)
						}
					}
				})
			}
		}
		close(start)
		wg.Wait()
		for k := range n {
			if got := accepted[fmt.Sprint("k", k)]; got != 1 {
				t.Errorf("k%d accepted %d times, want once", k, got)
			}
		}
	})
}

func TestSetState(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store, _ *storetest.Clock) {
		ctx := ctxFor(t)
		accept(t, s, "A", t0, req("r1", "k1"))
		state := func() conference.RequestState {
			t.Helper()
			_, st, err := s.FindRequest(ctx, "r1")
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		for _, step := range []struct {
			to   conference.RequestState
			ok   bool
			want conference.RequestState
		}{
			{conference.StateQueued, true, conference.StateQueued},
			{conference.StateRunning, true, conference.StateRunning},
			{conference.StateRunning, true, conference.StateRunning},
			{conference.StateQueued, false, conference.StateRunning},
			{conference.StateDone, true, conference.StateDone},
			{conference.StateDone, true, conference.StateDone},
			{conference.StateRunning, false, conference.StateDone},
			{"bogus", false, conference.StateDone},
		} {
			err := s.SetState(ctx, "r1", step.to)
			if (err == nil) != step.ok {
				t.Errorf("SetState(%s) = %v, want ok %v", step.to, err, step.ok)
			}
			if got := state(); got != step.want {
				t.Errorf("after SetState(%s): %s, want %s", step.to, got, step.want)
			}
		}
		errIs(t, "SetState of an unknown request", s.SetState(ctx, "nope", conference.StateDone), conference.ErrNotFound)
	})
}
