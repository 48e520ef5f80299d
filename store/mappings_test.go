package store_test

import (
	"testing"

	"github.com/mpc-bot/mpc-bot/store"
)

func TestMappings(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := ctxFor(t)
		registered := func(team, user string) (string, bool) {
			t.Helper()
			addr, ok, err := s.Registered(ctx, team, user)
			if err != nil {
				t.Fatalf("Registered(%s, %s): %v", team, user, err)
			}
			return addr, ok
		}

		if addr, ok := registered("T1", "U1"); ok || addr != "" {
			t.Errorf("unregistered user: got %q, %v", addr, ok)
		}
		if err := s.Register(ctx, "T1", "U1", "+14155550100"); err != nil {
			t.Fatalf("Register: %v", err)
		}
		if addr, ok := registered("T1", "U1"); !ok || addr != "+14155550100" {
			t.Errorf("after Register: got %q, %v", addr, ok)
		}

		// Register again replaces the number.
		if err := s.Register(ctx, "T1", "U1", "sip:alice@example.sip.plivo.com"); err != nil {
			t.Fatalf("Register (update): %v", err)
		}
		if addr, ok := registered("T1", "U1"); !ok || addr != "sip:alice@example.sip.plivo.com" {
			t.Errorf("after update: got %q, %v", addr, ok)
		}

		// The same user ID in another workspace is another person.
		if _, ok := registered("T2", "U1"); ok {
			t.Error("T2/U1 is registered though only T1/U1 was")
		}
		if err := s.Register(ctx, "T2", "U1", "+442071838750"); err != nil {
			t.Fatalf("Register T2: %v", err)
		}
		if addr, _ := registered("T1", "U1"); addr != "sip:alice@example.sip.plivo.com" {
			t.Errorf("registering T2/U1 changed T1/U1 to %q", addr)
		}

		existed, err := s.Unregister(ctx, "T1", "U1")
		if err != nil || !existed {
			t.Errorf("Unregister = %v, %v; want true, nil", existed, err)
		}
		if _, ok := registered("T1", "U1"); ok {
			t.Error("still registered after Unregister")
		}
		existed, err = s.Unregister(ctx, "T1", "U1")
		if err != nil || existed {
			t.Errorf("second Unregister = %v, %v; want false, nil", existed, err)
		}
		if addr, ok := registered("T2", "U1"); !ok || addr != "+442071838750" {
			t.Errorf("unregistering T1/U1 touched T2/U1: %q, %v", addr, ok)
		}

		for _, args := range [][3]string{{"", "U", "+1"}, {"T", "", "+1"}, {"T", "U", ""}} {
			if err := s.Register(ctx, args[0], args[1], args[2]); err == nil {
				t.Errorf("Register%q succeeded", args)
			}
		}
	})
}
