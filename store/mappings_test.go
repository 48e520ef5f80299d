package store_test

import (
	"testing"

	"github.com/mpc-bot/mpc-bot/conference"
	"github.com/mpc-bot/mpc-bot/store"
	"github.com/mpc-bot/mpc-bot/store/storetest"
)

// registered is Registered that fails the test on error.
func registered(t *testing.T, s *store.Store, p conference.Person) (string, bool) {
	t.Helper()
	addr, ok, err := s.Registered(ctxFor(t), p)
	if err != nil {
		t.Fatalf("Registered(%+v): %v", p, err)
	}
	return addr, ok
}

func TestMappings(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store, _ *storetest.Clock) {
		ctx := ctxFor(t)
		t1u1 := conference.Person{Team: "T1", User: "U1"}
		t2u1 := conference.Person{Team: "T2", User: "U1"}

		if addr, ok := registered(t, s, t1u1); ok || addr != "" {
			t.Errorf("unregistered user: got %q, %v", addr, ok)
		}
		if err := s.Register(ctx, t1u1, "+14155550100"); err != nil {
			t.Fatalf("Register: %v", err)
		}
		if addr, ok := registered(t, s, t1u1); !ok || addr != "+14155550100" {
			t.Errorf("after Register: got %q, %v", addr, ok)
		}

		// Register again replaces the number.
		if err := s.Register(ctx, t1u1, "sip:alice@example.sip.plivo.com"); err != nil {
			t.Fatalf("Register (update): %v", err)
		}
		if addr, ok := registered(t, s, t1u1); !ok || addr != "sip:alice@example.sip.plivo.com" {
			t.Errorf("after update: got %q, %v", addr, ok)
		}

		// The same user ID in another workspace is another person.
		if _, ok := registered(t, s, t2u1); ok {
			t.Error("T2/U1 is registered though only T1/U1 was")
		}
		if err := s.Register(ctx, t2u1, "+442071838750"); err != nil {
			t.Fatalf("Register T2: %v", err)
		}
		if addr, _ := registered(t, s, t1u1); addr != "sip:alice@example.sip.plivo.com" {
			t.Errorf("registering T2/U1 changed T1/U1 to %q", addr)
		}

		existed, err := s.Unregister(ctx, t1u1)
		if err != nil || !existed {
			t.Errorf("Unregister = %v, %v; want true, nil", existed, err)
		}
		if _, ok := registered(t, s, t1u1); ok {
			t.Error("still registered after Unregister")
		}
		existed, err = s.Unregister(ctx, t1u1)
		if err != nil || existed {
			t.Errorf("second Unregister = %v, %v; want false, nil", existed, err)
		}
		if addr, ok := registered(t, s, t2u1); !ok || addr != "+442071838750" {
			t.Errorf("unregistering T1/U1 touched T2/U1: %q, %v", addr, ok)
		}

		for _, p := range []conference.Person{{User: "U"}, {Team: "T"}, {Enterprise: "E1", User: "U"}} {
			if err := s.Register(ctx, p, "+1"); err == nil {
				t.Errorf("Register(%+v) succeeded", p)
			}
		}
		if err := s.Register(ctx, t1u1, ""); err == nil {
			t.Error("Register of an empty address succeeded")
		}
	})
}

// TestMappingsOrgWideUser checks Enterprise Grid: an org-wide user (W…) is
// one person in every workspace of the organisation, and a registration
// made in one workspace before organisation keys existed keeps working.
func TestMappingsOrgWideUser(t *testing.T) {
	forEachConfig(t, func(t *testing.T, cfg store.Config) {
		ctx := ctxFor(t)
		s := openStore(t, cfg)
		inT1 := conference.Person{Team: "T1", Enterprise: "E1", User: "W1"}
		inT2 := conference.Person{Team: "T2", Enterprise: "E1", User: "W1"}
		local := conference.Person{Team: "T1", Enterprise: "E1", User: "U7"} // not org-wide

		// As the previous release stored it: keyed by the workspace.
		if _, err := rawDB(t, cfg).ExecContext(ctx, `INSERT INTO mappings (team_id, user_id, address, updated_at)
			VALUES ('T1', 'W1', '+14155550100', 0)`); err != nil {
			t.Fatal(err)
		}
		if addr, ok := registered(t, s, inT1); !ok || addr != "+14155550100" {
			t.Errorf("legacy registration from T1: %q, %v; want it found by team", addr, ok)
		}
		if _, ok := registered(t, s, inT2); ok {
			t.Error("legacy T1 registration found from T2")
		}

		// Registering once more moves it to the organisation.
		if err := s.Register(ctx, inT1, "+14155550111"); err != nil {
			t.Fatal(err)
		}
		for _, p := range []conference.Person{inT1, inT2, {Enterprise: "E1", User: "W1"}} {
			if addr, ok := registered(t, s, p); !ok || addr != "+14155550111" {
				t.Errorf("Registered(%+v) = %q, %v; want the new number", p, addr, ok)
			}
		}
		if n := count(t, rawDB(t, cfg), "mappings", "user_id = 'W1'"); n != 1 {
			t.Errorf("%d rows for W1, want 1 (the team-keyed one removed)", n)
		}

		// A user who is not org-wide stays in their workspace.
		if err := s.Register(ctx, local, "+14155550122"); err != nil {
			t.Fatal(err)
		}
		if _, ok := registered(t, s, conference.Person{Team: "T2", Enterprise: "E1", User: "U7"}); ok {
			t.Error("workspace user's registration visible from another workspace")
		}

		// Unregister removes the organisation's row and any workspace one.
		if _, err := rawDB(t, cfg).ExecContext(ctx, `INSERT INTO mappings (team_id, user_id, address, updated_at)
			VALUES ('T2', 'W1', '+14155550133', 0)`); err != nil {
			t.Fatal(err)
		}
		if addr, _ := registered(t, s, inT2); addr != "+14155550111" {
			t.Errorf("from T2 with both rows: %q, want the organisation's first", addr)
		}
		if existed, err := s.Unregister(ctx, inT2); err != nil || !existed {
			t.Fatalf("Unregister = %v, %v", existed, err)
		}
		if _, ok := registered(t, s, inT2); ok {
			t.Error("still registered from T2 after Unregister")
		}
		if _, ok := registered(t, s, inT1); ok {
			t.Error("still registered from T1 after Unregister")
		}
		if addr, ok := registered(t, s, local); !ok || addr != "+14155550122" {
			t.Errorf("Unregister of W1 touched U7: %q, %v", addr, ok)
		}
	})
}
