package store_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/store"
	"github.com/mpc-bot/mpc-bot/store/storetest"
)

// t0 is the time the stopped clocks of the tests start at: a millisecond
// boundary, so stored times compare equal.
var t0 = time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC)

// ctxFor returns a context that ends with the test, and well before the
// go test timeout, so a hung database shows up as a failure in one test.
func ctxFor(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// forEachConfig runs fn once per backend with the Config of a fresh, empty
// database. Tests that need several Stores on one database (concurrent
// Opens, durability) use it directly.
func forEachConfig(t *testing.T, fn func(t *testing.T, cfg store.Config)) {
	t.Helper()
	storetest.ForEachBackend(t, fn)
}

// forEachBackend runs fn once per backend with an open Store on a fresh,
// empty database, closed when the subtest ends. The Store's clock is a
// storetest.Clock stopped at t0, which fn may move.
func forEachBackend(t *testing.T, fn func(t *testing.T, s *store.Store, clock *storetest.Clock)) {
	t.Helper()
	forEachConfig(t, func(t *testing.T, cfg store.Config) {
		clock := storetest.NewClock(t0)
		cfg.Now = clock.Now
		fn(t, openStore(t, cfg), clock)
	})
}

// openStore opens cfg and closes the Store when the test ends.
func openStore(t testing.TB, cfg store.Config) *store.Store {
	t.Helper()
	return storetest.Open(t, cfg)
}

// rawDB opens the database behind cfg with the plain driver, for checks the
// Store's API does not expose (migration bookkeeping, purged rows).
func rawDB(t testing.TB, cfg store.Config) *sql.DB {
	t.Helper()
	var (
		db  *sql.DB
		err error
	)
	if cfg.URL != "" {
		db, err = sql.Open("pgx", cfg.URL)
	} else {
		db, err = sql.Open("sqlite", "file:"+cfg.Path+"?_pragma=busy_timeout(10000)")
	}
	if err != nil {
		t.Fatalf("raw open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// count returns the number of rows of table matching where, read directly.
func count(t testing.TB, db *sql.DB, table, where string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(ctxFor(t), "SELECT COUNT(*) FROM "+table+" WHERE "+where).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// errIs is errors.Is with a readable failure.
func errIs(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: error %v, want %v", what, err, want)
	}
}
