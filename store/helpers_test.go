package store_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/store"
	"github.com/mpc-bot/mpc-bot/store/storetest"
)

// ctxFor returns a context that ends with the test, and well before the
// go test timeout, so a hung database shows up as a failure in one test.
func ctxFor(t *testing.T) context.Context {
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
// empty database, closed when the subtest ends.
func forEachBackend(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	forEachConfig(t, func(t *testing.T, cfg store.Config) {
		fn(t, openStore(t, cfg))
	})
}

// openStore opens cfg and closes the Store when the test ends.
func openStore(t *testing.T, cfg store.Config) *store.Store {
	t.Helper()
	s, err := store.Open(ctxFor(t), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// rawDB opens the database behind cfg with the plain driver, for checks the
// Store's API does not expose (migration bookkeeping, purged rows).
func rawDB(t *testing.T, cfg store.Config) *sql.DB {
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
