package store_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/conference"
	"github.com/mpc-bot/mpc-bot/store"
)

// deployed are the SHA-256 sums of the migrations a release has shipped.
// A deployed database never runs a version twice, so editing one would
// leave old and new databases with different schemas; append instead, and
// add the new version's sum here when it ships.
var deployed = []string{
	1: "b7839f86620bb1fb9d2c4f65ea3d4614ad74a3f1f717571ba87bc140425bc6e5",
	2: "9c5fe0f2fd313885cc34081f0963b53ec0f9f1ae7822f2f94f47450530856abc",
	3: "1775e7f0bb88a79ce79e8142472bbfe9f1d09dddfc418075eb2af93cf9193f5e",
}

func TestDeployedMigrationsUnchanged(t *testing.T) {
	history := store.Migrations()
	for v := 1; v < len(deployed); v++ {
		sum := sha256.Sum256([]byte(history[v-1]))
		if got := hex.EncodeToString(sum[:]); got != deployed[v] {
			t.Errorf("migration %d was edited after it shipped (sum %s)", v, got)
		}
	}
}

// TestMigrateDeployedData builds a database as the release with schema
// version 3 left it, with its rows, and checks that they read back through
// the new API after the upgrade; and that rows that release still writes,
// during a rolling update, read back too.
func TestMigrateDeployedData(t *testing.T) {
	forEachConfig(t, func(t *testing.T, cfg store.Config) {
		ctx := ctxFor(t)
		old, err := store.OpenAtVersion(ctx, cfg, 3)
		if err != nil {
			t.Fatal(err)
		}
		old.Close()
		db := rawDB(t, cfg)
		created := t0.Add(-time.Hour).UnixMilli()
		// What the previous release's BeginAdd and FinishAdd wrote.
		legacyAdd := `INSERT INTO adds (request_id, team_id, channel_id, user_id, to_address, to_user, role,
			trigger_source, status, api_id, error_message, created_at, finished_at)
			VALUES ($1, 'T1', 'C1', 'U1', '+14155550100', 'U9', 'customer', '+14155550111', $2, $3, $4, $5, $6)`
		if cfg.URL == "" {
			legacyAdd = `INSERT INTO adds (request_id, team_id, channel_id, user_id, to_address, to_user, role,
			trigger_source, status, api_id, error_message, created_at, finished_at)
			VALUES (?1, 'T1', 'C1', 'U1', '+14155550100', 'U9', 'customer', '+14155550111', ?2, ?3, ?4, ?5, ?6)`
		}
		for _, row := range [][]any{
			{"abc/0", "dialled", "api-1", "", created, created + 1},
			{"abc/1", "failed", "", "401 unauthorised", created + 2, created + 3},
			{"def/0", "pending", "", "", created + 4, nil},
			{"ghi", "denied", "", "not allowed: user", created + 5, created + 5},
		} {
			if _, err := db.ExecContext(ctx, legacyAdd, row...); err != nil {
				t.Fatalf("legacy add %v: %v", row[0], err)
			}
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO mappings (team_id, user_id, address, updated_at)
			VALUES ('T1', 'U1', '+14155550199', 0)`); err != nil {
			t.Fatal(err)
		}

		s := openStore(t, cfg) // runs versions 4 and up
		got := entries(t, s, conference.EntryQuery{Team: "T1", Channel: "C1"})
		if ids(got) != "[ghi def/0 abc/1 abc/0]" {
			t.Fatalf("legacy entries: %s", ids(got))
		}
		want := conference.Entry{ID: "abc/0", Request: "abc", Verb: conference.VerbCall,
			By: conference.Person{Team: "T1", User: "U1"}, Place: conference.Place{Team: "T1", Channel: "C1"},
			Bridge: conference.DefaultBridge, To: "+14155550100", ToUser: "U9", Role: conference.RoleCustomer,
			TriggerSource: "+14155550111", Status: conference.StatusAccepted, APIID: "api-1",
			Created: time.UnixMilli(created).UTC(), Finished: time.UnixMilli(created + 1).UTC()}
		if got[3] != want {
			t.Errorf("legacy accepted entry:\n%+v\nwant\n%+v", got[3], want)
		}
		if e := got[2]; e.Status != conference.StatusFailed || e.Detail != "401 unauthorised" || e.Request != "abc" {
			t.Errorf("legacy failed entry: %+v", e)
		}
		if e := got[0]; e.Status != conference.StatusDenied || e.Request != "ghi" || e.Detail != "not allowed: user" {
			t.Errorf("legacy denied entry: %+v", e)
		}
		if got := ids(entries(t, s, conference.EntryQuery{Team: "T1", Request: "abc"})); got != "[abc/1 abc/0]" {
			t.Errorf("legacy entries by request: %s", got)
		}
		if got := ids(entries(t, s, conference.EntryQuery{Team: "T1", Scope: "T1", User: "U1"})); got != "[ghi def/0 abc/1 abc/0]" {
			t.Errorf("legacy entries by person: %s", got)
		}
		if n := count(t, db, "adds", "status = 'dialled'"); n != 0 {
			t.Errorf("%d rows still dialled", n)
		}

		// A replica of the previous release, mid-rollout, still writes.
		if _, err := db.ExecContext(ctx, legacyAdd, "jkl/0", "dialled", "api-2", "", created+6, created+7); err != nil {
			t.Fatalf("legacy insert after the upgrade: %v", err)
		}
		if e, err := s.FindEntry(ctx, "jkl/0"); err != nil || e.Status != conference.StatusAccepted || e.Request != "jkl" ||
			e.Verb != conference.VerbCall || e.Bridge != conference.DefaultBridge || e.By.Team != "T1" {
			t.Errorf("entry written by the previous release after the upgrade: %+v, %v", e, err)
		}

		// Its pending entry has no request row, so no live owner.
		if n, err := s.AbandonPending(ctx, t0); err != nil || n != 1 {
			t.Errorf("AbandonPending of the legacy pending entry = %d, %v; want 1", n, err)
		}
		if addr, ok, err := s.Registered(ctx, conference.Person{Team: "T1", User: "U1"}); err != nil || !ok || addr != "+14155550199" {
			t.Errorf("legacy registration: %q, %v, %v", addr, ok, err)
		}
	})
}
