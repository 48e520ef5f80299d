package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Each person's dial allowance is a generic cell rate algorithm (GCRA): one
// number per key, the theoretical arrival time (TAT), the time at which the
// allowance would be full again had nothing more been taken. Taking n dials
// at now moves it to max(TAT, now) + n·interval; they may be used once
// TAT − burst·interval has been reached. One number per key, updated in one
// statement, is what lets every replica share a person's allowance without
// locks or a read-then-write race. TATs are nanoseconds since the epoch: the
// arithmetic on them is all the store does, and interval need not be a whole
// number of milliseconds (60s/7).

// Reserve takes n dials from key's allowance, which refills one dial every
// interval up to burst, and returns how long the caller must wait before
// using them (0: at once). It always takes them, however long the wait, so
// that concurrent callers queue up behind one another instead of all being
// told to wait the same time; a caller that will not wait gives them back
// with Release. The read and the write are one INSERT … ON CONFLICT … DO
// UPDATE … RETURNING, atomic on both backends; max is spelled with CASE
// because SQLite has no GREATEST and PostgreSQL's MAX is an aggregate.
func (s *Store) Reserve(ctx context.Context, key string, n int, interval time.Duration, burst int, now time.Time) (time.Duration, error) {
	step, err := limitStep(key, n, interval)
	if err != nil {
		return 0, fmt.Errorf("store: reserve: %w", err)
	}
	if burst <= 0 || int64(interval) > math.MaxInt64/4/int64(burst) {
		return 0, fmt.Errorf("store: reserve %s: burst %d is not positive or too large", key, burst)
	}
	at := now.UnixNano()
	var tat int64
	err = s.db.QueryRowContext(ctx, s.rebind(`INSERT INTO limits (limit_key, tat_ns) VALUES (?, ?)
		ON CONFLICT (limit_key) DO UPDATE
		SET tat_ns = CASE WHEN limits.tat_ns > ? THEN limits.tat_ns + ? ELSE excluded.tat_ns END
		RETURNING tat_ns`),
		key, at+step, at, step).Scan(&tat)
	if err != nil {
		return 0, fmt.Errorf("store: reserve %s: %w", key, err)
	}
	return max(0, time.Duration(tat-int64(burst)*int64(interval)-at)), nil
}

// Release gives back n dials Reserve took from key and that will not be
// used. It moves the TAT back by n·interval with no floor: a TAT in the past
// is the same allowance as one at now (Reserve starts from max(TAT, now)),
// so taking back more than is outstanding cannot give more than a full
// burst, whereas a floor at "now" would need a clock, and the store's clock
// need not be the caller's (Reserve is given its now). A key with no row has
// nothing outstanding, so there is nothing to give back.
func (s *Store) Release(ctx context.Context, key string, n int, interval time.Duration) error {
	step, err := limitStep(key, n, interval)
	if err != nil {
		return fmt.Errorf("store: release: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, s.rebind("UPDATE limits SET tat_ns = tat_ns - ? WHERE limit_key = ?"),
		step, key); err != nil {
		return fmt.Errorf("store: release %s: %w", key, err)
	}
	return nil
}

// limitStep checks Reserve's and Release's arguments and returns n·interval
// in nanoseconds.
func limitStep(key string, n int, interval time.Duration) (int64, error) {
	switch {
	case key == "":
		return 0, errors.New("empty key")
	case n <= 0:
		return 0, fmt.Errorf("%s: n %d is not positive", key, n)
	case interval <= 0:
		return 0, fmt.Errorf("%s: interval %v is not positive", key, interval)
	case int64(interval) > math.MaxInt64/4/int64(n):
		return 0, fmt.Errorf("%s: %d × %v is out of range", key, n, interval)
	}
	return int64(n) * int64(interval), nil
}
