package store_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/conference"
	"github.com/mpc-bot/mpc-bot/store"
)

// alice is a person of workspace T1 the tests register, dial for and limit.
var alice = conference.Person{Team: "T1", User: "U1"}

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
			if err := s.Register(ctx, alice, "+14155550100"); err != nil {
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
		p := conference.Person{Team: "T", User: "U"}
		checks := map[string]error{
			"Ping":      s.Ping(ctx),
			"Register":  s.Register(ctx, p, "+1"),
			"Begin":     s.Begin(ctx, conference.Entry{ID: "r/0"}),
			"Finish":    s.Finish(ctx, "r/0", conference.Outcome{Status: conference.StatusAccepted}),
			"SetState":  s.SetState(ctx, "r", conference.StateDone),
			"Heartbeat": s.Heartbeat(ctx, "i", time.Now()),
			"Leave":     s.Leave(ctx, "i"),
			"Bind":      s.Bind(ctx, "T", "C", "b", p),
			"Release":   s.Release(ctx, "k", 1, time.Second),
		}
		_, checks["Unregister"] = s.Unregister(ctx, p)
		_, _, checks["Registered"] = s.Registered(ctx, p)
		_, checks["Entries"] = s.Entries(ctx, conference.EntryQuery{Team: "T", Limit: 10})
		_, checks["FindEntry"] = s.FindEntry(ctx, "r/0")
		_, checks["AbandonPending"] = s.AbandonPending(ctx, time.Now())
		_, checks["Claim"] = s.Claim(ctx, "k", time.Minute)
		_, checks["Accept"] = s.Accept(ctx, "i", time.Now(), []conference.Request{{ID: "r", Key: "k"}})
		_, checks["Adopt"] = s.Adopt(ctx, "i", time.Now())
		_, _, checks["FindRequest"] = s.FindRequest(ctx, "r")
		_, _, checks["Binding"] = s.Binding(ctx, "T", "C")
		_, checks["Reserve"] = s.Reserve(ctx, "k", 1, time.Second, 1, time.Now())
		_, checks["Prune"] = s.Prune(ctx, conference.Retention{Audit: time.Hour}, time.Now())
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

// seed writes one row of each kind, for the durability tests. Its times are
// real ones, because the kill -9 helper runs in another process.
func seed(ctx context.Context, s *store.Store) error {
	if err := s.Register(ctx, alice, "+14155550100"); err != nil {
		return err
	}
	if err := s.Begin(ctx, conference.Entry{ID: "req-1/0", Verb: conference.VerbCall, By: alice,
		Place: conference.Place{Team: "T1", Channel: "C1"}, To: "+14155550199", Role: conference.RoleCustomer,
		TriggerSource: "+14155550100"}); err != nil {
		return err
	}
	if ok, err := s.Claim(ctx, "event-1", time.Hour); err != nil || !ok {
		return fmt.Errorf("claim: %v, %v", ok, err)
	}
	if err := s.Heartbeat(ctx, "seeder", time.Now()); err != nil {
		return err
	}
	if _, err := s.Accept(ctx, "seeder", time.Now().Add(-time.Minute), []conference.Request{{ID: "req-1", Key: "key-1", By: alice}}); err != nil {
		return err
	}
	if err := s.Bind(ctx, "T1", "C1", "sales", alice); err != nil {
		return err
	}
	_, err := s.Reserve(ctx, alice.Key(), 1, time.Hour, 1, time.Now())
	return err
}

// checkSeeded checks that seed's rows are there, in a Store opened afresh.
func checkSeeded(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := ctxFor(t)
	if addr, ok, err := s.Registered(ctx, alice); err != nil || !ok || addr != "+14155550100" {
		t.Errorf("Registered = %q, %v, %v; want the seeded number", addr, ok, err)
	}
	entries, err := s.Entries(ctx, conference.EntryQuery{Team: "T1", Channel: "C1", Limit: 10})
	if err != nil || len(entries) != 1 || entries[0].ID != "req-1/0" || entries[0].Status != conference.StatusPending {
		t.Errorf("Entries = %+v, %v; want the seeded pending entry", entries, err)
	}
	if ok, err := s.Claim(ctx, "event-1", time.Hour); err != nil || ok {
		t.Errorf("Claim of the seeded key = %v, %v; want false (still claimed)", ok, err)
	}
	if req, state, err := s.FindRequest(ctx, "req-1"); err != nil || req.Key != "key-1" || state != conference.StateQueued {
		t.Errorf("FindRequest = %+v, %s, %v; want the seeded queued request", req, state, err)
	}
	if b, ok, err := s.Binding(ctx, "T1", "C1"); err != nil || !ok || b != "sales" {
		t.Errorf("Binding = %q, %v, %v; want sales", b, ok, err)
	}
	if wait, err := s.Reserve(ctx, alice.Key(), 1, time.Hour, 1, time.Now()); err != nil || wait < 59*time.Minute {
		t.Errorf("Reserve after the seeded one = %v, %v; want about an hour", wait, err)
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
		// The pending entry the dead bot left is what AbandonPending is
		// for, once its heartbeat is older than the cut-off.
		n, err := s.AbandonPending(ctxFor(t), time.Now().Add(time.Second))
		if err != nil || n != 1 {
			t.Errorf("AbandonPending = %d, %v; want 1", n, err)
		}
		// And its request is another instance's to take over.
		adopted, err := s.Adopt(ctxFor(t), "survivor", time.Now().Add(time.Second))
		if err != nil || len(adopted) != 1 || adopted[0].Request.ID != "req-1" {
			t.Errorf("Adopt = %+v, %v; want req-1", adopted, err)
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

// TestSQLitePathIsNotURI checks that a file name with URI syntax in it names
// that file, rather than being cut at '?' or '#'.
func TestSQLitePathIsNotURI(t *testing.T) {
	path := filepath.Join(t.TempDir(), "odd?name#1%20.db")
	s := openStore(t, store.Config{Path: path})
	if err := s.Register(ctxFor(t), alice, "+1"); err != nil {
		t.Fatalf("Register: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file not at the configured path: %v", err)
	}
}
