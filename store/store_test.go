package store_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/store"
)

func TestOpenReportsBackendAndPings(t *testing.T) {
	forEachConfig(t, func(t *testing.T, cfg store.Config) {
		s := openStore(t, cfg)
		want := store.BackendSQLite
		if cfg.URL != "" {
			want = store.BackendPostgres
		}
		if got := s.Backend(); got != want {
			t.Errorf("Backend() = %q, want %q", got, want)
		}
		if err := s.Ping(ctxFor(t)); err != nil {
			t.Errorf("Ping: %v", err)
		}
	})
}

func TestOpenWithoutDatabaseFails(t *testing.T) {
	if _, err := store.Open(ctxFor(t), store.Config{}); err == nil {
		t.Error("Open with an empty Config succeeded")
	}
	// Port 1 on loopback refuses connections at once.
	ctx, cancel := context.WithTimeout(ctxFor(t), 10*time.Second)
	defer cancel()
	if _, err := store.Open(ctx, store.Config{URL: "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=5"}); err == nil {
		t.Error("Open with an unreachable PostgreSQL URL succeeded")
	}
	// A path in a directory that does not exist cannot be created.
	if _, err := store.Open(ctxFor(t), store.Config{Path: t.TempDir() + "/no/such/dir/x.db"}); err == nil {
		t.Error("Open with an uncreatable SQLite path succeeded")
	}
}

// TestMigrationsIdempotent opens the same database repeatedly and at once, as
// restarted and simultaneously started replicas do, and checks that every
// Open succeeds and every migration was recorded exactly once.
func TestMigrationsIdempotent(t *testing.T) {
	forEachConfig(t, func(t *testing.T, cfg store.Config) {
		ctx := ctxFor(t)
		// Concurrent first Opens of an empty database.
		const n = 4
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				s, err := store.Open(ctx, cfg)
				if err == nil {
					err = s.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("concurrent Open %d: %v", i, err)
			}
		}
		// Then sequential re-opens of the migrated database.
		for range 2 {
			s := openStore(t, cfg)
			if err := s.Register(ctx, "T1", "U1", "+14155550100"); err != nil {
				t.Fatalf("Register after re-open: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
		}

		var total, distinct int
		if err := rawDB(t, cfg).QueryRowContext(ctx,
			"SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations").Scan(&total, &distinct); err != nil {
			t.Fatalf("read schema_migrations: %v", err)
		}
		if total == 0 || total != distinct {
			t.Errorf("schema_migrations has %d rows for %d versions, want one row per version", total, distinct)
		}
	})
}

// TestClosedStoreReturnsErrors checks that a request arriving during shutdown
// gets an error rather than a panic.
func TestClosedStoreReturnsErrors(t *testing.T) {
	forEachConfig(t, func(t *testing.T, cfg store.Config) {
		ctx := ctxFor(t)
		s, err := store.Open(ctx, cfg)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		checks := map[string]error{
			"Ping":      s.Ping(ctx),
			"Register":  s.Register(ctx, "T", "U", "+1"),
			"BeginAdd":  s.BeginAdd(ctx, store.Add{RequestID: "r"}),
			"FinishAdd": s.FinishAdd(ctx, "r", store.StatusDialled, "", ""),
		}
		_, checks["Unregister"] = s.Unregister(ctx, "T", "U")
		_, _, checks["Registered"] = s.Registered(ctx, "T", "U")
		_, checks["RecentAdds"] = s.RecentAdds(ctx, "T", "C", 10)
		_, checks["AbandonPending"] = s.AbandonPending(ctx, time.Now())
		_, checks["Claim"] = s.Claim(ctx, "k", time.Minute)
		for name, err := range checks {
			if err == nil {
				t.Errorf("%s on a closed store returned no error", name)
			} else if !strings.HasPrefix(err.Error(), "store: ") {
				t.Errorf("%s error %q lacks the store: prefix", name, err)
			}
		}
		s.Close() // a second Close must not panic either
	})
}

// seed writes one row of each kind, for the durability tests.
func seed(ctx context.Context, s *store.Store) error {
	if err := s.Register(ctx, "T1", "U1", "+14155550100"); err != nil {
		return err
	}
	if err := s.BeginAdd(ctx, store.Add{RequestID: "req-1", TeamID: "T1", ChannelID: "C1", UserID: "U1",
		To: "+14155550199", Role: "customer", TriggerSource: "+14155550100"}); err != nil {
		return err
	}
	if ok, err := s.Claim(ctx, "event-1", time.Hour); err != nil || !ok {
		return fmt.Errorf("claim: %v, %v", ok, err)
	}
	return nil
}

// checkSeeded checks that seed's rows are there, in a Store opened afresh.
func checkSeeded(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := ctxFor(t)
	if addr, ok, err := s.Registered(ctx, "T1", "U1"); err != nil || !ok || addr != "+14155550100" {
		t.Errorf("Registered = %q, %v, %v; want the seeded number", addr, ok, err)
	}
	adds, err := s.RecentAdds(ctx, "T1", "C1", 10)
	if err != nil || len(adds) != 1 || adds[0].RequestID != "req-1" || adds[0].Status != store.StatusPending {
		t.Errorf("RecentAdds = %+v, %v; want the seeded pending add", adds, err)
	}
	if ok, err := s.Claim(ctx, "event-1", time.Hour); err != nil || ok {
		t.Errorf("Claim of the seeded key = %v, %v; want false (still claimed)", ok, err)
	}
}

func TestRowsSurviveCloseAndReopen(t *testing.T) {
	forEachConfig(t, func(t *testing.T, cfg store.Config) {
		s, err := store.Open(ctxFor(t), cfg)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if err := seed(ctxFor(t), s); err != nil {
			t.Fatalf("seed: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		checkSeeded(t, openStore(t, cfg))
	})
}

// Environment of the helper process TestRowsSurviveKill9 starts.
const (
	killHelperPath = "MPC_STORE_KILL_HELPER_PATH"
	killHelperURL  = "MPC_STORE_KILL_HELPER_URL"
)

// TestRowsSurviveKill9 writes rows in a child process, SIGKILLs it without
// any chance to close the database, and checks that the rows are there: what
// a bot killed by the OOM killer or kill -9 leaves behind.
func TestRowsSurviveKill9(t *testing.T) {
	forEachConfig(t, func(t *testing.T, cfg store.Config) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillHelper$", "-test.count=1", "-test.timeout=5m")
		cmd.Env = append(os.Environ(), killHelperPath+"="+cfg.Path, killHelperURL+"="+cfg.URL)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatalf("start helper: %v", err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || line != "seeded\n" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("helper said %q, %v; want seeded", line, err)
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatalf("kill helper: %v", err)
		}
		cmd.Wait()

		s := openStore(t, cfg)
		checkSeeded(t, s)
		// The pending add the dead bot left is what AbandonPending is for.
		n, err := s.AbandonPending(ctxFor(t), time.Now().Add(time.Second))
		if err != nil || n != 1 {
			t.Errorf("AbandonPending = %d, %v; want 1", n, err)
		}
	})
}

// TestKillHelper is the child process of TestRowsSurviveKill9: it seeds the
// database, says so, and waits to be killed. Run normally, it does nothing.
func TestKillHelper(t *testing.T) {
	path, url := os.Getenv(killHelperPath), os.Getenv(killHelperURL)
	if path == "" && url == "" {
		t.Skip("helper process for TestRowsSurviveKill9")
	}
	ctx := context.Background()
	s, err := store.Open(ctx, store.Config{Path: path, URL: url})
	if err == nil {
		err = seed(ctx, s)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kill helper:", err)
		os.Exit(2)
	}
	fmt.Println("seeded")
	time.Sleep(time.Minute) // killed long before this
	os.Exit(3)
}

// errIs is errors.Is with a readable failure.
func errIs(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: error %v, want %v", what, err, want)
	}
}

// TestSQLitePathIsNotURI checks that a file name with URI syntax in it names
// that file, rather than being cut at '?' or '#'.
func TestSQLitePathIsNotURI(t *testing.T) {
	path := filepath.Join(t.TempDir(), "odd?name#1%20.db")
	s := openStore(t, store.Config{Path: path})
	if err := s.Register(ctxFor(t), "T", "U", "+1"); err != nil {
		t.Fatalf("Register: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file not at the configured path: %v", err)
	}
}
