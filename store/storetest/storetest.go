// Package storetest gives tests fresh mpc-bot databases on every backend:
// a SQLite file always, and a PostgreSQL database when
// MPC_TEST_DATABASE_URL names a server (`eval "$(.ci/postgres)"` starts
// one). The store's own tests, the bot's and the binary's share it, so the
// same suite runs on both databases. Clock lets them move the store's time
// instead of sleeping.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/mpc-bot/mpc-bot/store"
)

// DatabaseEnv names the PostgreSQL server the PostgreSQL half of the
// suites runs against; each test gets a database of its own on it.
const DatabaseEnv = "MPC_TEST_DATABASE_URL"

// ForEachBackend runs fn once per backend, as subtests named "sqlite" and
// "postgres", with the Config of a fresh, empty database that is removed
// when the subtest ends. The postgres subtest skips, saying how to run it,
// when DatabaseEnv is unset.
func ForEachBackend(t *testing.T, fn func(t *testing.T, cfg store.Config)) {
	t.Helper()
	t.Run(store.BackendSQLite, func(t *testing.T) {
		fn(t, store.Config{Path: filepath.Join(t.TempDir(), "mpc-bot.db")})
	})
	t.Run(store.BackendPostgres, func(t *testing.T) {
		base := os.Getenv(DatabaseEnv)
		if base == "" {
			t.Skip(DatabaseEnv + ` is not set, so the PostgreSQL half is skipped; run it with: eval "$(.ci/postgres)" && go test ./...`)
		}
		fn(t, store.Config{URL: FreshPostgres(t, base)})
	})
}

// FreshPostgres creates a database with a random name on the server base
// points at, drops it (and any connection left to it) when the test ends,
// and returns base's URL with that database in it. A database per test,
// rather than a schema, also isolates schema_migrations and advisory locks.
func FreshPostgres(t testing.TB, base string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL, got %q", DatabaseEnv, base)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", DatabaseEnv, err)
	}
	t.Cleanup(func() { admin.Close() })

	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "mpc_test_" + hex.EncodeToString(b[:])
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

// Open opens cfg, failing t if it cannot, and closes the Store when t ends.
func Open(t testing.TB, cfg store.Config) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Clock is a time source for store.Config.Now that moves only when told,
// so tests of expiry and retention need not race the real clock. It is
// safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the Clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the Clock on by d (back, if d is negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set moves the Clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}
