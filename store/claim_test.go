package store_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/store"
	"github.com/mpc-bot/mpc-bot/store/storetest"
)

func TestClaimFirstWins(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store, _ *storetest.Clock) {
		ctx := ctxFor(t)
		for i, want := range []bool{true, false, false} {
			got, err := s.Claim(ctx, "event-1", time.Hour)
			if err != nil || got != want {
				t.Errorf("Claim #%d = %v, %v; want %v", i+1, got, err, want)
			}
		}
		if got, err := s.Claim(ctx, "event-2", time.Hour); err != nil || !got {
			t.Errorf("Claim of another key = %v, %v; want true", got, err)
		}
		if _, err := s.Claim(ctx, "", time.Hour); err == nil {
			t.Error("Claim of an empty key succeeded")
		}
		if _, err := s.Claim(ctx, "event-3", 0); err == nil {
			t.Error("Claim with ttl 0 succeeded")
		}
	})
}

// claimRace has every Store in stores claim key from perStore goroutines at
// once and returns how many won.
func claimRace(t *testing.T, stores []*store.Store, perStore int, key string) int64 {
	t.Helper()
	ctx := ctxFor(t)
	var (
		wins  atomic.Int64
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for _, s := range stores {
		for range perStore {
			wg.Go(func() {
				<-start
				ok, err := s.Claim(ctx, key, time.Hour)
				if err != nil {
					t.Errorf("Claim: %v", err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
	}
	close(start)
	wg.Wait()
	return wins.Load()
}

func TestClaimConcurrentExactlyOneWins(t *testing.T) {
	forEachConfig(t, func(t *testing.T, cfg store.Config) {
		a := openStore(t, cfg)
		if wins := claimRace(t, []*store.Store{a}, 20, "one-store"); wins != 1 {
			t.Errorf("20 goroutines on one Store: %d won, want 1", wins)
		}
		// Two handles on one database stand for two replicas.
		b := openStore(t, cfg)
		if wins := claimRace(t, []*store.Store{a, b}, 10, "two-stores"); wins != 1 {
			t.Errorf("10 goroutines on each of two Stores: %d won, want 1", wins)
		}
	})
}

func TestClaimExpiredKeyCanBeReclaimed(t *testing.T) {
	forEachConfig(t, func(t *testing.T, cfg store.Config) {
		clock := storetest.NewClock(t0)
		cfg.Now = clock.Now
		s := openStore(t, cfg)
		ctx := ctxFor(t)
		const ttl = 50 * time.Millisecond
		if ok, err := s.Claim(ctx, "k", ttl); err != nil || !ok {
			t.Fatalf("first Claim = %v, %v", ok, err)
		}
		clock.Advance(ttl - time.Millisecond)
		if ok, err := s.Claim(ctx, "k", ttl); err != nil || ok {
			t.Fatalf("Claim a millisecond before expiry = %v, %v; want false", ok, err)
		}
		clock.Advance(time.Millisecond)
		if ok, err := s.Claim(ctx, "k", time.Hour); err != nil || !ok {
			t.Fatalf("Claim at expiry = %v, %v; want true", ok, err)
		}
		clock.Advance(ttl)
		if ok, err := s.Claim(ctx, "k", ttl); err != nil || ok {
			t.Fatalf("Claim after the reclaim = %v, %v; want false (reclaimed for an hour)", ok, err)
		}

		// Expired keys are purged: a fresh Store purges on its first Claim.
		if ok, err := s.Claim(ctx, "short", ttl); err != nil || !ok {
			t.Fatalf("Claim short = %v, %v", ok, err)
		}
		clock.Advance(ttl)
		if _, err := openStore(t, cfg).Claim(ctx, "other", time.Hour); err != nil {
			t.Fatalf("Claim other: %v", err)
		}
		if n := count(t, rawDB(t, cfg), "claims", "claim_key = 'short'"); n != 0 {
			t.Errorf("expired claim still stored after a purge")
		}
		if n := count(t, rawDB(t, cfg), "claims", "claim_key = 'k'"); n != 1 {
			t.Errorf("unexpired claim purged")
		}
	})
}
