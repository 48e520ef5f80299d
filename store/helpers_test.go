package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/store"
)

// testDatabaseEnv names the PostgreSQL server the postgres half of the suite
// runs against; each test gets a database of its own on it.
const testDatabaseEnv = "MPC_TEST_DATABASE_URL"

// ctxFor returns a context that ends with the test, and well before the
// go test timeout, so a hung database shows up as a failure in one test.
func ctxFor(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// forEachConfig runs fn once per backend with the Config of a fresh, empty
// database that is removed when the subtest ends. Tests that need several
// Stores on one database (concurrent Opens, durability) use it directly.
func forEachConfig(t *testing.T, fn func(t *testing.T, cfg store.Config)) {
	t.Helper()
	t.Run(store.BackendSQLite, func(t *testing.T) {
		fn(t, store.Config{Path: filepath.Join(t.TempDir(), "mpc-bot.db")})
	})
	t.Run(store.BackendPostgres, func(t *testing.T) {
		base := os.Getenv(testDatabaseEnv)
		if base == "" {
			t.Skip(testDatabaseEnv + ` is not set, so the PostgreSQL half of the suite is skipped; run it with: eval "$(.ci/postgres)" && go test ./store/`)
		}
		fn(t, store.Config{URL: freshPostgresDatabase(t, base)})
	})
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

// freshPostgresDatabase creates a database with a random name on the server
// base points at, drops it (and any connection left to it) when the test
// ends, and returns base's URL with that database in it. A database per test,
// rather than a schema, also isolates schema_migrations and advisory locks
// taken by other packages' tests.
func freshPostgresDatabase(t *testing.T, base string) string {
	t.Helper()
	ctx := ctxFor(t)
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL, got %q", testDatabaseEnv, base)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", testDatabaseEnv, err)
	}
	t.Cleanup(func() { admin.Close() })

	var b [6]byte
	rand.Read(b[:])
	name := "mpc_store_test_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	// Registered before the caller's cleanups, so it runs after them: the
	// Stores are closed by the time the database is dropped.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
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
