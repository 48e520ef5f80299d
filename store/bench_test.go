package store_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/conference"
	"github.com/mpc-bot/mpc-bot/store"
	"github.com/mpc-bot/mpc-bot/store/storetest"
)

// BenchmarkAccept measures Accept, the group commit a front end's
// acknowledgements wait for, with batches of 1 and 100 new requests, and
// of 100 re-deliveries (the INSERT finds every key taken, and a SELECT
// reads the stored requests). On SQLite (WAL, synchronous=NORMAL) a commit
// is a write to the log, not an fsync, so the figure is mostly CPU.
func BenchmarkAccept(b *testing.B) {
	backends := map[string]func(b *testing.B) store.Config{
		store.BackendSQLite: func(b *testing.B) store.Config {
			return store.Config{Path: filepath.Join(b.TempDir(), "bench.db")}
		},
		store.BackendPostgres: func(b *testing.B) store.Config {
			base := os.Getenv(storetest.DatabaseEnv)
			if base == "" {
				b.Skip(storetest.DatabaseEnv + " is not set")
			}
			return store.Config{URL: storetest.FreshPostgres(b, base)}
		},
	}
	for _, backend := range []string{store.BackendSQLite, store.BackendPostgres} {
		for _, size := range []int{1, 100, -100} {
			name := fmt.Sprintf("%s/%d", backend, size)
			redeliver := size < 0
			if redeliver {
				size = -size
				name = fmt.Sprintf("%s/%d-redelivered", backend, size)
			}
			b.Run(name, func(b *testing.B) {
				s := openStore(b, backends[backend](b))
				ctx := ctxFor(b)
				if err := s.Heartbeat(ctx, "bench", time.Now()); err != nil {
					b.Fatal(err)
				}
				batch := make([]conference.Request, size)
				n := 0
				if redeliver {
					for i := range batch {
						batch[i] = conference.Request{ID: fmt.Sprint("r", i), Key: fmt.Sprint("k", i), By: alice}
					}
					if _, err := s.Accept(ctx, "bench", time.Now().Add(-time.Minute), batch); err != nil {
						b.Fatal(err)
					}
				}
				for b.Loop() {
					if redeliver {
						adm, err := s.Accept(ctx, "bench", time.Now().Add(-time.Minute), batch)
						if err != nil || adm[0].Acceptance != conference.Duplicate {
							b.Fatalf("re-delivery: %v, %v", adm[0], err)
						}
						continue
					}
					for i := range batch {
						n++
						batch[i] = conference.Request{ID: fmt.Sprint("r", n), Key: fmt.Sprint("k", n),
							Kind: conference.KindAdd, By: alice, Place: conference.Place{Team: "T1", Channel: "C1"},
							Reply:   []byte(`{"channel":"C1","response_url":"https://hooks.slack.com/commands/T1/1/abc"}`),
							Targets: []conference.Target{conference.UserTarget("U2"), conference.UserTarget("U3")},
							Role:    conference.RoleAgent, Note: "escalation", Accepted: t0}
					}
					if _, err := s.Accept(ctx, "bench", time.Now().Add(-time.Minute), batch); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*size), "µs/request")
			})
		}
	}
}
