package store_test

import (
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/conference"
	"github.com/mpc-bot/mpc-bot/store"
	"github.com/mpc-bot/mpc-bot/store/storetest"
)

func TestPrune(t *testing.T) {
	forEachConfig(t, func(t *testing.T, cfg store.Config) {
		ctx := ctxFor(t)
		clock := storetest.NewClock(t0)
		cfg.Now = clock.Now
		s := openStore(t, cfg)
		db := rawDB(t, cfg)
		day := 24 * time.Hour
		at := func(d time.Duration) time.Time { return t0.Add(-d) }

		place := conference.Place{Team: "T", Channel: "C"}
		for _, e := range []conference.Entry{
			{ID: "accepted-100d/0", Created: at(100 * day)},
			{ID: "pending-40d/0", Created: at(40 * day)},
			{ID: "denied-10d/0", Created: at(10 * day), Status: conference.StatusDenied},
			{ID: "denied-2d/0", Created: at(2 * day), Status: conference.StatusDenied},
			{ID: "pending-1h/0", Created: at(time.Hour)},
		} {
			e.Place = place
			begin(t, s, e)
		}
		if err := s.Finish(ctx, "accepted-100d/0", conference.Outcome{Status: conference.StatusAccepted}); err != nil {
			t.Fatal(err)
		}

		// Requests: done 49h and 47h ago, and one left unfinished by an
		// instance that died 49h ago.
		clock.Set(at(72 * time.Hour))
		heartbeat(t, s, "orphaner", clock.Now())
		accept(t, s, "worker", clock.Now(), req("done-49h", "k1"), req("done-47h", "k2"))
		accept(t, s, "orphaner", clock.Now(), req("open", "k3"))
		clock.Set(at(49 * time.Hour))
		heartbeat(t, s, "orphaner", clock.Now())
		heartbeat(t, s, "gone", clock.Now())
		if err := s.SetState(ctx, "done-49h", conference.StateDone); err != nil {
			t.Fatal(err)
		}
		clock.Set(at(47 * time.Hour))
		heartbeat(t, s, "recent", clock.Now())
		if err := s.SetState(ctx, "done-47h", conference.StateDone); err != nil {
			t.Fatal(err)
		}

		// Claims: one expired an hour ago, one good for a day more.
		clock.Set(at(2 * time.Hour))
		for key, ttl := range map[string]time.Duration{"expired": time.Hour, "live": 26 * time.Hour} {
			if ok, err := s.Claim(ctx, key, ttl); err != nil || !ok {
				t.Fatalf("Claim(%s) = %v, %v", key, ok, err)
			}
		}
		// Allowances: one full again by t0, one still in use.
		reserve(t, s, "full-again", 1, time.Minute, 1, at(2*time.Hour))
		reserve(t, s, "in-use", 1, time.Minute, 1, t0)

		clock.Set(t0)
		got, err := s.Prune(ctx, conference.Retention{Audit: 30 * day, Denials: 7 * day}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if want := (conference.Pruned{Entries: 3, Requests: 1, Claims: 1, Instances: 1}); got != want {
			t.Errorf("Prune = %+v, want %+v", got, want)
		}
		if got := ids(entries(t, s, conference.EntryQuery{Team: "T"})); got != "[pending-1h/0 denied-2d/0]" {
			t.Errorf("entries kept: %s", got)
		}
		for _, c := range []struct {
			table, where string
			want         int
		}{
			{"requests", "id IN ('done-47h', 'open')", 2},
			{"requests", "1 = 1", 2},
			{"claims", "claim_key = 'live'", 1},
			{"claims", "1 = 1", 1},
			{"instances", "id IN ('orphaner', 'recent')", 2},
			{"instances", "1 = 1", 2},
			{"limits", "limit_key = 'in-use'", 1},
			{"limits", "1 = 1", 1},
		} {
			if n := count(t, db, c.table, c.where); n != c.want {
				t.Errorf("%s where %s: %d rows, want %d", c.table, c.where, n, c.want)
			}
		}
		// The limit still holds after its row was kept.
		if w := reserve(t, s, "in-use", 1, time.Minute, 1, t0); w != time.Minute {
			t.Errorf("in-use allowance after Prune: wait %v, want 1m", w)
		}

		// Again: nothing more to do.
		if got, err := s.Prune(ctx, conference.Retention{Audit: 30 * day, Denials: 7 * day}, t0); err != nil || got != (conference.Pruned{}) {
			t.Errorf("second Prune = %+v, %v; want nothing", got, err)
		}
		// Denials default to the audit retention; no audit retention keeps
		// everything but denials with a retention of their own.
		if got, err := s.Prune(ctx, conference.Retention{}, t0.Add(1000*day)); err != nil || got.Entries != 0 {
			t.Errorf("Prune with no retention = %+v, %v; want no entries", got, err)
		}
		if got, err := s.Prune(ctx, conference.Retention{Denials: day}, t0); err != nil || got.Entries != 1 {
			t.Errorf("Prune of denials only = %+v, %v; want 1 entry", got, err)
		}
		if got, err := s.Prune(ctx, conference.Retention{Audit: time.Minute}, t0); err != nil || got.Entries != 1 {
			t.Errorf("Prune with audit retention only = %+v, %v; want 1 entry", got, err)
		}
		if _, err := s.Prune(ctx, conference.Retention{Audit: -time.Hour}, t0); err == nil {
			t.Error("Prune with a negative retention succeeded")
		}
	})
}
