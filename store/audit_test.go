package store_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/store"
)

// recent is RecentAdds that fails the test on error.
func recent(t *testing.T, s *store.Store, team, channel string, limit int) []store.Add {
	t.Helper()
	adds, err := s.RecentAdds(ctxFor(t), team, channel, limit)
	if err != nil {
		t.Fatalf("RecentAdds(%s, %s, %d): %v", team, channel, limit, err)
	}
	return adds
}

// ids lists the request IDs of adds, for compact comparisons.
func ids(adds []store.Add) string {
	var out []string
	for _, a := range adds {
		out = append(out, a.RequestID)
	}
	return fmt.Sprint(out)
}

func TestAddLifecycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := ctxFor(t)
		// A time in another zone with sub-millisecond digits: it must come
		// back in UTC, truncated to the millisecond.
		t0 := time.Date(2026, 5, 20, 12, 0, 0, 123456789, time.FixedZone("EST", -5*3600))
		begin := func(a store.Add) {
			t.Helper()
			if err := s.BeginAdd(ctx, a); err != nil {
				t.Fatalf("BeginAdd(%s): %v", a.RequestID, err)
			}
		}
		first := store.Add{RequestID: "r1", TeamID: "T1", ChannelID: "C1", UserID: "U1",
			To: "+14155550100", ToUser: "U9", Role: "customer", TriggerSource: "+14155550111", CreatedAt: t0}
		begin(first)
		begin(store.Add{RequestID: "r2", TeamID: "T1", ChannelID: "C1", UserID: "U2", To: "sip:a@b", Role: "agent", CreatedAt: t0.Add(time.Second)})
		begin(store.Add{RequestID: "r3", TeamID: "T1", ChannelID: "C2", UserID: "U1", To: "+1", Role: "agent", CreatedAt: t0.Add(2 * time.Second)})
		begin(store.Add{RequestID: "r4", TeamID: "T2", ChannelID: "C1", UserID: "U1", To: "+1", Role: "agent", CreatedAt: t0.Add(3 * time.Second)})

		before := time.Now().UTC().Add(-time.Millisecond)
		if err := s.FinishAdd(ctx, "r1", store.StatusDialled, "api-123", ""); err != nil {
			t.Fatalf("FinishAdd: %v", err)
		}
		after := time.Now().UTC().Add(time.Millisecond)
		if err := s.FinishAdd(ctx, "r2", store.StatusFailed, "", "401 unauthorised"); err != nil {
			t.Fatalf("FinishAdd r2: %v", err)
		}

		got := recent(t, s, "T1", "C1", 10)
		if ids(got) != "[r2 r1]" {
			t.Fatalf("RecentAdds(T1, C1) = %s, want [r2 r1]", ids(got))
		}
		r1 := got[1]
		want := first
		want.Status = store.StatusDialled
		want.APIID = "api-123"
		want.CreatedAt = t0.UTC().Truncate(time.Millisecond)
		want.FinishedAt = r1.FinishedAt // checked separately below
		if r1 != want {
			t.Errorf("r1 read back as\n%+v\nwant\n%+v", r1, want)
		}
		if r1.CreatedAt.Location() != time.UTC || r1.FinishedAt.Location() != time.UTC {
			t.Errorf("times not in UTC: %v, %v", r1.CreatedAt.Location(), r1.FinishedAt.Location())
		}
		if r1.FinishedAt.Before(before) || r1.FinishedAt.After(after) {
			t.Errorf("FinishedAt = %v, want between %v and %v", r1.FinishedAt, before, after)
		}
		if r2 := got[0]; r2.Status != store.StatusFailed || r2.Error != "401 unauthorised" || r2.APIID != "" {
			t.Errorf("r2 = %+v, want failed with its error", r2)
		}

		if got := recent(t, s, "T1", "C1", 1); ids(got) != "[r2]" {
			t.Errorf("limit 1: %s, want [r2]", ids(got))
		}
		if got := recent(t, s, "T1", "", 10); ids(got) != "[r3 r2 r1]" {
			t.Errorf("whole workspace: %s, want [r3 r2 r1]", ids(got))
		}
		if got := recent(t, s, "T1", "C2", 10); ids(got) != "[r3]" || got[0].Status != store.StatusPending || !got[0].FinishedAt.IsZero() {
			t.Errorf("C2: %+v, want r3 pending with zero FinishedAt", got)
		}
		if got := recent(t, s, "T2", "C1", 10); ids(got) != "[r4]" {
			t.Errorf("T2/C1: %s, want [r4] (workspaces are separate)", ids(got))
		}
		if got := recent(t, s, "T3", "C1", 10); len(got) != 0 {
			t.Errorf("unknown workspace: %s, want none", ids(got))
		}
		if _, err := s.RecentAdds(ctx, "T1", "C1", 0); err == nil {
			t.Error("RecentAdds with limit 0 succeeded")
		}
	})
}

// TestRecentAddsSameMillisecond checks that adds recorded within one
// millisecond (the stored precision) still come back newest first.
func TestRecentAddsSameMillisecond(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := ctxFor(t)
		at := time.Now()
		for i := range 5 {
			if err := s.BeginAdd(ctx, store.Add{RequestID: fmt.Sprint("r", i), TeamID: "T", ChannelID: "C", CreatedAt: at}); err != nil {
				t.Fatalf("BeginAdd: %v", err)
			}
		}
		// And with the default CreatedAt, quickly.
		for i := 5; i < 10; i++ {
			if err := s.BeginAdd(ctx, store.Add{RequestID: fmt.Sprint("r", i), TeamID: "T", ChannelID: "C"}); err != nil {
				t.Fatalf("BeginAdd: %v", err)
			}
		}
		if got := recent(t, s, "T", "C", 100); ids(got) != "[r9 r8 r7 r6 r5 r4 r3 r2 r1 r0]" {
			t.Errorf("order %s, want newest first", ids(got))
		}
	})
}

func TestFinishAddOnlyOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := ctxFor(t)
		if err := s.BeginAdd(ctx, store.Add{RequestID: "r1", TeamID: "T", ChannelID: "C"}); err != nil {
			t.Fatalf("BeginAdd: %v", err)
		}
		errIs(t, "BeginAdd with a recorded request ID", s.BeginAdd(ctx, store.Add{RequestID: "r1", TeamID: "T", ChannelID: "C"}), store.ErrDuplicate)
		if err := s.FinishAdd(ctx, "r1", store.StatusPending, "", ""); err == nil {
			t.Error("FinishAdd to pending succeeded")
		}
		if err := s.FinishAdd(ctx, "r1", "bogus", "", ""); err == nil {
			t.Error("FinishAdd to an unknown status succeeded")
		}
		if err := s.FinishAdd(ctx, "r1", store.StatusDialled, "api-1", ""); err != nil {
			t.Fatalf("FinishAdd: %v", err)
		}
		errIs(t, "second FinishAdd", s.FinishAdd(ctx, "r1", store.StatusFailed, "", "late"), store.ErrNotPending)
		errIs(t, "FinishAdd of an unknown request", s.FinishAdd(ctx, "nope", store.StatusFailed, "", ""), store.ErrNotFound)

		got := recent(t, s, "T", "C", 10)
		if len(got) != 1 || got[0].Status != store.StatusDialled || got[0].APIID != "api-1" || got[0].Error != "" {
			t.Errorf("after a refused second finish: %+v, want the first outcome", got)
		}
		if err := s.BeginAdd(ctx, store.Add{RequestID: "", TeamID: "T"}); err == nil {
			t.Error("BeginAdd without a request ID succeeded")
		}
		if err := s.BeginAdd(ctx, store.Add{RequestID: "r9", Status: store.StatusDialled}); err == nil {
			t.Error("BeginAdd with status dialled succeeded")
		}
	})
}

func TestDeniedAddIsFinal(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := ctxFor(t)
		old := time.Now().Add(-time.Hour)
		if err := s.BeginAdd(ctx, store.Add{RequestID: "d1", TeamID: "T", ChannelID: "C", UserID: "U",
			To: "+1", Status: store.StatusDenied, Error: "not allowed", CreatedAt: old}); err != nil {
			t.Fatalf("BeginAdd denied: %v", err)
		}
		got := recent(t, s, "T", "C", 10)
		if len(got) != 1 || got[0].Status != store.StatusDenied || got[0].Error != "not allowed" ||
			!got[0].FinishedAt.Equal(got[0].CreatedAt) || got[0].FinishedAt.IsZero() {
			t.Fatalf("denied add read back as %+v, want denied and finished at creation", got)
		}
		errIs(t, "FinishAdd of a denied add", s.FinishAdd(ctx, "d1", store.StatusDialled, "api", ""), store.ErrNotPending)
		if n, err := s.AbandonPending(ctx, time.Now()); err != nil || n != 0 {
			t.Errorf("AbandonPending = %d, %v; want 0 (denied is not pending)", n, err)
		}
		if got := recent(t, s, "T", "C", 10); got[0].Status != store.StatusDenied {
			t.Errorf("denied add became %s", got[0].Status)
		}
	})
}

func TestAbandonPendingOnlyTouchesOldPendingRows(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := ctxFor(t)
		nowT := time.Now()
		for _, a := range []store.Add{
			{RequestID: "old-pending", CreatedAt: nowT.Add(-time.Hour)},
			{RequestID: "old-dialled", CreatedAt: nowT.Add(-time.Hour)},
			{RequestID: "new-pending", CreatedAt: nowT},
		} {
			a.TeamID, a.ChannelID = "T", "C"
			if err := s.BeginAdd(ctx, a); err != nil {
				t.Fatalf("BeginAdd(%s): %v", a.RequestID, err)
			}
		}
		if err := s.FinishAdd(ctx, "old-dialled", store.StatusDialled, "api-1", ""); err != nil {
			t.Fatalf("FinishAdd: %v", err)
		}

		n, err := s.AbandonPending(ctx, nowT.Add(-10*time.Minute))
		if err != nil || n != 1 {
			t.Fatalf("AbandonPending = %d, %v; want 1", n, err)
		}
		byID := map[string]store.Add{}
		for _, a := range recent(t, s, "T", "C", 10) {
			byID[a.RequestID] = a
		}
		if a := byID["old-pending"]; a.Status != store.StatusUnknown || a.Error != "mpc-bot stopped before Plivo answered" || a.FinishedAt.IsZero() {
			t.Errorf("old pending row: %+v, want unknown with the stopped error", a)
		}
		if a := byID["old-dialled"]; a.Status != store.StatusDialled || a.APIID != "api-1" || a.Error != "" {
			t.Errorf("old finished row changed: %+v", a)
		}
		if a := byID["new-pending"]; a.Status != store.StatusPending || !a.FinishedAt.IsZero() {
			t.Errorf("young pending row changed: %+v", a)
		}
		// A late answer for an abandoned request does not overwrite "unknown".
		errIs(t, "FinishAdd after AbandonPending", s.FinishAdd(ctx, "old-pending", store.StatusDialled, "", ""), store.ErrNotPending)
		if n, err := s.AbandonPending(ctx, nowT.Add(-10*time.Minute)); err != nil || n != 0 {
			t.Errorf("second AbandonPending = %d, %v; want 0", n, err)
		}
	})
}

func TestFindAdd(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := ctxFor(t)
		want := store.Add{RequestID: "req/0", TeamID: "T1", ChannelID: "C1", UserID: "U1", To: "+14155550100", Role: "agent", TriggerSource: "+14155550111"}
		if err := s.BeginAdd(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, err := s.FindAdd(ctx, "req/0")
		if err != nil {
			t.Fatal(err)
		}
		if got.To != want.To || got.TriggerSource != want.TriggerSource || got.Status != store.StatusPending {
			t.Errorf("FindAdd = %+v", got)
		}
		if _, err := s.FindAdd(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("FindAdd(unknown) = %v, want ErrNotFound", err)
		}
	})
}
