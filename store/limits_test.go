package store_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/store"
	"github.com/mpc-bot/mpc-bot/store/storetest"
)

// reserve is Reserve that fails the test on error.
func reserve(t testing.TB, s *store.Store, key string, n int, interval time.Duration, burst int, now time.Time) time.Duration {
	t.Helper()
	wait, err := s.Reserve(ctxFor(t), key, n, interval, burst, now)
	if err != nil {
		t.Fatalf("Reserve(%s, %d): %v", key, n, err)
	}
	return wait
}

func TestReserveBurstThenInterval(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store, _ *storetest.Clock) {
		ctx := ctxFor(t)
		// Seven a minute, three at once: 60s/7 is not a whole number of
		// milliseconds, and waits must still come out exact.
		const burst = 3
		interval := time.Minute / 7
		now := t0
		for i := range burst {
			if w := reserve(t, s, "T1/U1", 1, interval, burst, now); w != 0 {
				t.Fatalf("dial %d of the burst waits %v, want 0", i+1, w)
			}
		}
		if w := reserve(t, s, "T1/U1", 1, interval, burst, now); w != interval {
			t.Errorf("dial after the burst waits %v, want %v", w, interval)
		}
		if w := reserve(t, s, "T1/U1", 2, interval, burst, now); w != 3*interval {
			t.Errorf("two more wait %v, want %v", w, 3*interval)
		}
		// Another person has an allowance of their own.
		if w := reserve(t, s, "T1/U2", burst, interval, burst, now); w != 0 {
			t.Errorf("another key's burst waits %v", w)
		}
		// Giving back the last reservation shortens the next wait.
		if err := s.Release(ctx, "T1/U1", 2, interval); err != nil {
			t.Fatal(err)
		}
		if w := reserve(t, s, "T1/U1", 1, interval, burst, now); w != 2*interval {
			t.Errorf("after Release: %v, want %v", w, 2*interval)
		}
		// Time refills the allowance, up to the burst and no further.
		now = now.Add(time.Hour)
		for i := range burst {
			if w := reserve(t, s, "T1/U1", 1, interval, burst, now); w != 0 {
				t.Errorf("after an hour, dial %d waits %v", i+1, w)
			}
		}
		if w := reserve(t, s, "T1/U1", 1, interval, burst, now); w != interval {
			t.Errorf("after an hour, the dial after the burst waits %v, want %v", w, interval)
		}
		// Half an interval later, the next waits half an interval less
		// than it would have.
		if w := reserve(t, s, "T1/U1", 1, interval, burst, now.Add(interval/2)); w != 2*interval-interval/2 {
			t.Errorf("half an interval on: %v, want %v", w, 2*interval-interval/2)
		}

		// Releasing more than is outstanding gives no more than a full burst.
		if err := s.Release(ctx, "T1/U1", 100, interval); err != nil {
			t.Fatal(err)
		}
		for i := range burst {
			if w := reserve(t, s, "T1/U1", 1, interval, burst, now); w != 0 {
				t.Errorf("after over-release, dial %d waits %v", i+1, w)
			}
		}
		if w := reserve(t, s, "T1/U1", 1, interval, burst, now); w != interval {
			t.Errorf("after over-release, the dial after the burst waits %v, want %v", w, interval)
		}
		// Releasing a key never reserved does nothing.
		if err := s.Release(ctx, "nobody", 1, interval); err != nil {
			t.Errorf("Release of an unknown key: %v", err)
		}

		for name, err := range map[string]error{
			"empty key":  func() error { _, err := s.Reserve(ctx, "", 1, interval, 1, now); return err }(),
			"n 0":        func() error { _, err := s.Reserve(ctx, "k", 0, interval, 1, now); return err }(),
			"interval 0": func() error { _, err := s.Reserve(ctx, "k", 1, 0, 1, now); return err }(),
			"burst 0":    func() error { _, err := s.Reserve(ctx, "k", 1, interval, 0, now); return err }(),
			"release 0":  s.Release(ctx, "k", 0, interval),
		} {
			if err == nil {
				t.Errorf("%s accepted", name)
			}
		}
	})
}

// TestReserveSharedAndConcurrent has goroutines on two Stores, as on two
// replicas, reserve from one allowance at once: exactly burst of them go at
// once, and the others queue one interval apart, none granted twice.
func TestReserveSharedAndConcurrent(t *testing.T) {
	forEachConfig(t, func(t *testing.T, cfg store.Config) {
		stores := []*store.Store{openStore(t, cfg), openStore(t, cfg)}
		const (
			perStore = 12
			burst    = 5
			interval = 10 * time.Second
		)
		now := t0
		// Sequentially first: a reservation on one Store counts on the other.
		if w := reserve(t, stores[0], "shared", burst, interval, burst, now); w != 0 {
			t.Fatalf("burst on store 0 waits %v", w)
		}
		if w := reserve(t, stores[1], "shared", 1, interval, burst, now); w != interval {
			t.Errorf("next on store 1 waits %v, want %v", w, interval)
		}

		var (
			mu    sync.Mutex
			waits []time.Duration
			wg    sync.WaitGroup
			start = make(chan struct{})
		)
		for _, s := range stores {
			for range perStore {
				wg.Go(func() {
					<-start
					w, err := s.Reserve(ctxFor(t), "race", 1, interval, burst, now)
					if err != nil {
						t.Errorf("Reserve: %v", err)
						return
					}
					mu.Lock()
					waits = append(waits, w)
					mu.Unlock()
				})
			}
		}
		close(start)
		wg.Wait()
		slices.Sort(waits)
		var want []time.Duration
		for i := range 2 * perStore {
			want = append(want, max(0, time.Duration(i+1-burst)*interval))
		}
		if !slices.Equal(waits, want) {
			t.Errorf("waits %v, want %v", waits, want)
		}
	})
}
