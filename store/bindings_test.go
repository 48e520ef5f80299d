package store_test

import (
	"testing"

	"github.com/mpc-bot/mpc-bot/conference"
	"github.com/mpc-bot/mpc-bot/store"
	"github.com/mpc-bot/mpc-bot/store/storetest"
)

func TestBindings(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store, _ *storetest.Clock) {
		ctx := ctxFor(t)
		binding := func(team, channel string) (string, bool) {
			t.Helper()
			b, ok, err := s.Binding(ctx, team, channel)
			if err != nil {
				t.Fatalf("Binding(%s, %s): %v", team, channel, err)
			}
			return b, ok
		}
		if b, ok := binding("T1", "C1"); ok || b != "" {
			t.Errorf("unbound channel: %q, %v", b, ok)
		}
		if err := s.Bind(ctx, "T1", "C1", "sales", alice); err != nil {
			t.Fatal(err)
		}
		if b, ok := binding("T1", "C1"); !ok || b != "sales" {
			t.Errorf("after Bind: %q, %v", b, ok)
		}
		if err := s.Bind(ctx, "T1", "C1", "support", conference.Person{Team: "T1", User: "U2"}); err != nil {
			t.Fatal(err)
		}
		if b, _ := binding("T1", "C1"); b != "support" {
			t.Errorf("after rebinding: %q", b)
		}
		// Channels are per workspace.
		if _, ok := binding("T2", "C1"); ok {
			t.Error("T2/C1 bound by binding T1/C1")
		}
		if _, ok := binding("T1", "C2"); ok {
			t.Error("T1/C2 bound by binding T1/C1")
		}
		// An empty bridge removes the binding, once or twice.
		for range 2 {
			if err := s.Bind(ctx, "T1", "C1", "", alice); err != nil {
				t.Fatal(err)
			}
			if _, ok := binding("T1", "C1"); ok {
				t.Error("still bound after Bind with no bridge")
			}
		}
		if err := s.Bind(ctx, "", "C1", "sales", alice); err == nil {
			t.Error("Bind without a team succeeded")
		}
	})
}
