package store_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/conference"
	"github.com/mpc-bot/mpc-bot/store"
	"github.com/mpc-bot/mpc-bot/store/storetest"
)

// entries is Entries that fails the test on error.
func entries(t *testing.T, s *store.Store, q conference.EntryQuery) []conference.Entry {
	t.Helper()
	if q.Limit == 0 {
		q.Limit = 100
	}
	es, err := s.Entries(ctxFor(t), q)
	if err != nil {
		t.Fatalf("Entries(%+v): %v", q, err)
	}
	return es
}

// ids lists the IDs of entries, for compact comparisons.
func ids(es []conference.Entry) string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	return fmt.Sprint(out)
}

// begin is Begin that fails the test on error.
func begin(t *testing.T, s *store.Store, e conference.Entry) {
	t.Helper()
	if err := s.Begin(ctxFor(t), e); err != nil {
		t.Fatalf("Begin(%s): %v", e.ID, err)
	}
}

func TestEntryLifecycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		ctx := ctxFor(t)
		// A time in another zone with sub-millisecond digits: it must come
		// back in UTC, truncated to the millisecond.
		created := time.Date(2026, 5, 20, 7, 0, 0, 123456789, time.FixedZone("EST", -5*3600))
		first := conference.Entry{
			ID: "3f9a/0", Verb: conference.VerbWarmTransfer,
			By:     conference.Person{Team: "T9", Enterprise: "E1", User: "W1"},
			Place:  conference.Place{Team: "T1", Channel: "C1", Thread: "1716206400.000100"},
			Bridge: "sales", To: "+14155550100", ToUser: "U9", Role: conference.RoleCustomer,
			TriggerSource: "+14155550111", Created: created,
			// Outcome fields are not stored for a pending entry.
			APIID: "x", Cause: conference.CauseBusy, Rule: conference.RuleUser, Detail: "x",
		}
		begin(t, s, first)
		got, err := s.FindEntry(ctx, "3f9a/0")
		if err != nil {
			t.Fatal(err)
		}
		want := first
		want.Request = "3f9a"
		want.Status = conference.StatusPending
		want.APIID, want.Cause, want.Rule, want.Detail = "", "", "", ""
		want.Created = created.UTC().Truncate(time.Millisecond)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("pending entry read back as\n%+v\nwant\n%+v", got, want)
		}

		clock.Advance(time.Minute)
		o := conference.Outcome{Status: conference.StatusUnknown, APIID: "api-1", Cause: conference.CauseServerError,
			HTTPStatus: 502, Plivo: "bad gateway"}
		if err := s.Finish(ctx, "3f9a/0", o); err != nil {
			t.Fatalf("Finish: %v", err)
		}
		got, err = s.FindEntry(ctx, "3f9a/0")
		if err != nil {
			t.Fatal(err)
		}
		want.Status, want.APIID, want.Cause, want.Detail = o.Status, o.APIID, o.Cause, o.Summary()
		want.Finished = t0.Add(time.Minute)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("finished entry read back as\n%+v\nwant\n%+v", got, want)
		}
		if got.Created.Location() != time.UTC || got.Finished.Location() != time.UTC {
			t.Errorf("times not in UTC: %v, %v", got.Created.Location(), got.Finished.Location())
		}

		// Created defaults to the store's clock; Request to the ID's prefix
		// unless given.
		begin(t, s, conference.Entry{ID: "b/r1", Request: "other", Place: conference.Place{Team: "T1", Channel: "C1"}})
		if e, _ := s.FindEntry(ctx, "b/r1"); !e.Created.Equal(t0.Add(time.Minute)) || e.Request != "other" || e.By.Team != "T1" {
			t.Errorf("defaults: %+v", e)
		}
		_, err = s.FindEntry(ctx, "nope")
		errIs(t, "FindEntry of an unknown ID", err, conference.ErrNotFound)
	})
}

func TestEntriesFilters(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store, _ *storetest.Clock) {
		ctx := ctxFor(t)
		at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
		w1 := conference.Person{Team: "T1", Enterprise: "E1", User: "W1"}
		for _, e := range []conference.Entry{
			{ID: "a/0", By: w1, Place: conference.Place{Team: "T1", Channel: "C1"}, Created: at(0)},
			{ID: "a/1", By: w1, Place: conference.Place{Team: "T1", Channel: "C1"}, Created: at(1)},
			{ID: "b/0", By: conference.Person{Team: "T1", User: "U2"}, Place: conference.Place{Team: "T1", Channel: "C1", Thread: "th"}, Created: at(2)},
			{ID: "c/0", By: conference.Person{Team: "T2", Enterprise: "E1", User: "W1"}, Place: conference.Place{Team: "T1", Channel: "C2"}, Created: at(3)},
			{ID: "d/0", By: conference.Person{Team: "T1", Enterprise: "E1", User: "U3"}, Place: conference.Place{Team: "T1", Channel: "C2", Thread: "th"}, Created: at(4)},
			{ID: "e/0", By: conference.Person{Team: "T2", User: "U1"}, Place: conference.Place{Team: "T2", Channel: "C1"}, Created: at(5)},
		} {
			begin(t, s, e)
		}
		for _, c := range []struct {
			q    conference.EntryQuery
			want string
		}{
			{conference.EntryQuery{Team: "T1"}, "[d/0 c/0 b/0 a/1 a/0]"},
			{conference.EntryQuery{Team: "T1", Limit: 2}, "[d/0 c/0]"},
			{conference.EntryQuery{Team: "T1", Channel: "C1"}, "[b/0 a/1 a/0]"},
			{conference.EntryQuery{Team: "T1", Channel: "C1", Thread: "th"}, "[b/0]"},
			{conference.EntryQuery{Team: "T1", Thread: "th"}, "[d/0 b/0]"},
			// W1 is one person in every workspace of E1.
			{conference.EntryQuery{Team: "T1", Scope: "E1", User: "W1"}, "[c/0 a/1 a/0]"},
			// U3 is not org-wide: their scope is their workspace.
			{conference.EntryQuery{Team: "T1", Scope: "E1", User: "U3"}, "[]"},
			{conference.EntryQuery{Team: "T1", Scope: "T1", User: "U3"}, "[d/0]"},
			{conference.EntryQuery{Team: "T1", User: "U2"}, "[b/0]"},
			{conference.EntryQuery{Team: "T1", Request: "a"}, "[a/1 a/0]"},
			{conference.EntryQuery{Team: "T1", Since: at(3)}, "[d/0 c/0]"},
			{conference.EntryQuery{Team: "T2"}, "[e/0]"},
			{conference.EntryQuery{Team: "T3"}, "[]"},
		} {
			if got := ids(entries(t, s, c.q)); got != c.want {
				t.Errorf("Entries(%+v) = %s, want %s", c.q, got, c.want)
			}
		}
		// The requester's workspace comes back even where it is not the place's.
		if es := entries(t, s, conference.EntryQuery{Team: "T1", Channel: "C2", User: "W1"}); len(es) != 1 || es[0].By.Team != "T2" {
			t.Errorf("c/0 = %+v, want By.Team T2", es)
		}
		if _, err := s.Entries(ctx, conference.EntryQuery{Team: "T1"}); err == nil {
			t.Error("Entries with limit 0 succeeded")
		}
		if _, err := s.Entries(ctx, conference.EntryQuery{Limit: 10}); err == nil {
			t.Error("Entries without a team succeeded")
		}
	})
}

// TestEntriesSameMillisecond checks that entries recorded within one
// millisecond (the stored precision) still come back newest first.
func TestEntriesSameMillisecond(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store, _ *storetest.Clock) {
		for i := range 10 {
			begin(t, s, conference.Entry{ID: fmt.Sprint("r", i), Place: conference.Place{Team: "T", Channel: "C"}})
		}
		if got := ids(entries(t, s, conference.EntryQuery{Team: "T", Channel: "C"})); got != "[r9 r8 r7 r6 r5 r4 r3 r2 r1 r0]" {
			t.Errorf("order %s, want newest first", got)
		}
	})
}

func TestFinishOnlyOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store, _ *storetest.Clock) {
		ctx := ctxFor(t)
		e := conference.Entry{ID: "r1/0", Place: conference.Place{Team: "T", Channel: "C"}}
		begin(t, s, e)
		errIs(t, "Begin with a recorded ID", s.Begin(ctx, e), conference.ErrDuplicate)
		for _, st := range []conference.Status{conference.StatusPending, "", "bogus"} {
			if err := s.Finish(ctx, "r1/0", conference.Outcome{Status: st}); err == nil {
				t.Errorf("Finish to %q succeeded", st)
			}
		}
		if err := s.Finish(ctx, "r1/0", conference.Outcome{Status: conference.StatusAccepted, APIID: "api-1"}); err != nil {
			t.Fatalf("Finish: %v", err)
		}
		err := s.Finish(ctx, "r1/0", conference.NotSent(conference.CauseBusy))
		errIs(t, "second Finish", err, store.ErrNotPending)
		errIs(t, "second Finish", err, conference.ErrDuplicate)
		errIs(t, "Finish of an unknown entry", s.Finish(ctx, "nope", conference.NotSent(conference.CauseBusy)), conference.ErrNotFound)

		if got, _ := s.FindEntry(ctx, "r1/0"); got.Status != conference.StatusAccepted || got.APIID != "api-1" || got.Cause != "" || got.Detail != "" {
			t.Errorf("after a refused second finish: %+v, want the first outcome", got)
		}
		if err := s.Begin(ctx, conference.Entry{Place: conference.Place{Team: "T"}}); err == nil {
			t.Error("Begin without an ID succeeded")
		}
		if err := s.Begin(ctx, conference.Entry{ID: "r9/0", Status: "dialing"}); err == nil {
			t.Error("Begin with an unknown status succeeded")
		}
		// A record of no PHLO request (a bridge binding) is final at once.
		if err := s.Begin(ctx, conference.Entry{ID: "r8/bind", Verb: conference.VerbBind, Status: conference.StatusAccepted, Detail: "bound", Place: conference.Place{Team: "T"}}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.FindEntry(ctx, "r8/bind"); got.Status != conference.StatusAccepted || got.Finished.IsZero() || got.Detail != "bound" {
			t.Errorf("a final Begin: %+v", got)
		}
	})
}

func TestDeniedEntryIsFinal(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		ctx := ctxFor(t)
		begin(t, s, conference.Entry{ID: "d1/0", Place: conference.Place{Team: "T", Channel: "C"}, By: alice,
			To: "+1900", Status: conference.StatusDenied, Rule: conference.RulePremiumRate, Detail: "premium rate",
			Created: t0.Add(-time.Hour)})
		got, err := s.FindEntry(ctx, "d1/0")
		if err != nil || got.Status != conference.StatusDenied || got.Rule != conference.RulePremiumRate ||
			got.Detail != "premium rate" || !got.Finished.Equal(got.Created) || got.Finished.IsZero() {
			t.Fatalf("denied entry read back as %+v, %v; want denied and finished at creation", got, err)
		}
		errIs(t, "Finish of a denied entry", s.Finish(ctx, "d1/0", conference.Outcome{Status: conference.StatusAccepted}), store.ErrNotPending)
		if n, err := s.AbandonPending(ctx, clock.Now()); err != nil || n != 0 {
			t.Errorf("AbandonPending = %d, %v; want 0 (denied is not pending)", n, err)
		}
	})
}

func TestAbandonPending(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		ctx := ctxFor(t)
		old, cut := t0.Add(-time.Hour), t0.Add(-10*time.Minute)
		// live owns "live-req" and "done-req"; dead owns "dead-req".
		if err := s.Heartbeat(ctx, "live", t0); err != nil {
			t.Fatal(err)
		}
		if err := s.Heartbeat(ctx, "dead", old); err != nil {
			t.Fatal(err)
		}
		for _, r := range [][2]string{{"live", "live-req"}, {"dead", "dead-req"}, {"live", "done-req"}} {
			accept(t, s, r[0], t0.Add(-time.Minute), conference.Request{ID: r[1], Key: "k-" + r[1]})
		}
		if err := s.SetState(ctx, "done-req", conference.StateDone); err != nil {
			t.Fatal(err)
		}
		for _, e := range []conference.Entry{
			{ID: "legacy/0", Created: old},   // from before requests existed: abandoned
			{ID: "legacy/1", Created: old},   // finished below: untouched
			{ID: "live-req/0", Created: old}, // its owner will finish it: kept
			{ID: "dead-req/0", Created: old}, // abandoned
			{ID: "done-req/0", Created: old}, // nobody will finish it: abandoned
			{ID: "young/0", Created: t0},     // still within the timeout: kept
		} {
			e.Place = conference.Place{Team: "T", Channel: "C"}
			begin(t, s, e)
		}
		if err := s.Finish(ctx, "legacy/1", conference.Outcome{Status: conference.StatusAccepted, APIID: "api-1"}); err != nil {
			t.Fatal(err)
		}

		clock.Advance(time.Second)
		n, err := s.AbandonPending(ctx, cut)
		if err != nil || n != 3 {
			t.Fatalf("AbandonPending = %d, %v; want 3", n, err)
		}
		byID := map[string]conference.Entry{}
		for _, e := range entries(t, s, conference.EntryQuery{Team: "T"}) {
			byID[e.ID] = e
		}
		for _, id := range []string{"legacy/0", "dead-req/0", "done-req/0"} {
			if e := byID[id]; e.Status != conference.StatusUnknown || e.Cause != conference.CauseStopped ||
				e.Detail != conference.CauseStopped.Summary() || !e.Finished.Equal(t0.Add(time.Second)) {
				t.Errorf("%s: %+v, want unknown, stopped after send", id, e)
			}
		}
		if e := byID["legacy/1"]; e.Status != conference.StatusAccepted || e.APIID != "api-1" || e.Detail != "" {
			t.Errorf("finished entry changed: %+v", e)
		}
		for _, id := range []string{"live-req/0", "young/0"} {
			if e := byID[id]; e.Status != conference.StatusPending || !e.Finished.IsZero() {
				t.Errorf("%s changed: %+v", id, e)
			}
		}
		// A late answer for an abandoned entry does not overwrite "unknown".
		errIs(t, "Finish after AbandonPending", s.Finish(ctx, "dead-req/0", conference.Outcome{Status: conference.StatusAccepted}), store.ErrNotPending)
		if n, err := s.AbandonPending(ctx, cut); err != nil || n != 0 {
			t.Errorf("second AbandonPending = %d, %v; want 0", n, err)
		}
		// Once live stops heartbeating, its entries go too.
		if err := s.Leave(ctx, "live"); err != nil {
			t.Fatal(err)
		}
		if n, err := s.AbandonPending(ctx, cut); err != nil || n != 1 {
			t.Errorf("AbandonPending after live left = %d, %v; want 1", n, err)
		}
	})
}
