package store_test

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/mpc-bot/mpc-bot/store"
)

// TestInspectReadsWithoutMigrating follows one database from nothing to
// the latest schema, and checks at each step that Inspect reports it and
// changes nothing.
func TestInspectReadsWithoutMigrating(t *testing.T) {
	latest := len(store.Migrations())
	forEachConfig(t, func(t *testing.T, cfg store.Config) {
		ctx := ctxFor(t)
		backend := store.BackendSQLite
		if cfg.URL != "" {
			backend = store.BackendPostgres
		}
		inspect := func(want store.Schema) {
			t.Helper()
			want.Backend, want.Latest = backend, latest
			got, err := store.Inspect(ctx, cfg)
			if err != nil || got != want {
				t.Fatalf("Inspect = %+v, %v; want %+v", got, err, want)
			}
		}

		// Nothing yet: a SQLite file is missing (and stays so), a
		// PostgreSQL database is reachable but has no schema.
		inspect(store.Schema{Missing: cfg.URL == ""})
		inspect(store.Schema{Missing: cfg.URL == ""})
		if cfg.URL == "" {
			if _, err := os.Stat(cfg.Path); !os.IsNotExist(err) {
				t.Fatalf("Inspect created the SQLite file: %v", err)
			}
		}

		old, err := store.OpenAtVersion(ctx, cfg, 3)
		if err != nil {
			t.Fatal(err)
		}
		old.Close()
		inspect(store.Schema{Version: 3})
		inspect(store.Schema{Version: 3})

		// A running bot holds the database open; Inspect reads beside it.
		s := openStore(t, cfg)
		inspect(store.Schema{Version: latest})
		if err := s.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestInspectEmptySQLiteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := store.Inspect(ctxFor(t), store.Config{Path: path})
	want := store.Schema{Backend: store.BackendSQLite, Latest: len(store.Migrations())}
	if err != nil || got != want {
		t.Fatalf("Inspect = %+v, %v; want %+v", got, err, want)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != 0 {
		t.Errorf("Inspect wrote to the file: %v, %v", fi, err)
	}
}

func TestInspectFailures(t *testing.T) {
	ctx := ctxFor(t)
	notDB := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notDB, []byte("this is not a database, but it is long enough to have a header page\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A port nobody listens on: the listener is closed before use.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	for name, cfg := range map[string]store.Config{
		"not a database": {Path: notDB},
		"unreachable":    {URL: "postgres://mpc:secret-pw@" + closed + "/mpc?connect_timeout=5"},
		"nothing set":    {},
	} {
		t.Run(name, func(t *testing.T) {
			if sc, err := store.Inspect(ctx, cfg); err == nil {
				t.Fatalf("Inspect = %+v, nil; want an error", sc)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(notDB), "notes.txt-wal")); !os.IsNotExist(err) {
		t.Errorf("Inspect left a WAL file beside a file that is not a database: %v", err)
	}
}
