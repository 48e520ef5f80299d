package bot

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/phlo"
	"github.com/mpc-bot/mpc-bot/store"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current output")

// TestMessagesGolden pins every message and view a person can see, so a
// reviewer reads the exact Block Kit in testdata/ and a change shows in
// diffs.
func TestMessagesGolden(t *testing.T) {
	num := numberTarget("+14155550100")
	_, usage := ParseCommand("+14155550100 manager", "US")
	missing := []unreachable{
		{shown: userTarget("U0DAVE"), why: "no number in the directory file or their Slack profile"},
		{shown: groupTarget("S0EMPTY"), why: "it has no members"},
	}
	retry := retryFor("req123/0", outcome{status: outcomeFailed}, 1)
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	announce := announceMessage("U0CALLER", []target{userTarget("U0ALICE")}, phlo.RoleCustomer, "", nil, "req123")
	golden := map[string]any{
		"help":             helpMessage("/mpc-add", "US"),
		"usage_error":      usageMessage(usage.(*UsageError)),
		"announce_number":  announceMessage("U0CALLER", []target{num}, phlo.RoleAgent, "", nil, "req123"),
		"announce_user":    announce,
		"announce_many":    announceMessage("U0CALLER", []target{userTarget("U0ALICE"), userTarget("U0BOB"), num}, phlo.RoleAgent, "Primary DB is failing over.\nWe need a DBA <now> & fast", missing, "req123"),
		"outcome_dialled":  outcomeMessage(num, phlo.RoleAgent, outcome{status: outcomeDialled, apiID: "8ec6f5cd-3b5b-4d6f-9f1e-2f6c2c1b1a11"}, "req123", nil),
		"outcome_failed":   outcomeMessage(num, phlo.RoleAgent, phloOutcome(phlo.Result{}, &phlo.APIError{StatusCode: 401}), "req123", retry),
		"outcome_unknown":  outcomeMessage(num, phlo.RoleAgent, phloOutcome(phlo.Result{}, &phlo.APIError{StatusCode: 502, Message: "bad gateway"}), "req123", retry),
		"outcome_retried":  outcomeMessage(num, phlo.RoleAgent, outcome{status: outcomeDialled, apiID: "a2"}, "req123", nil).withContext("Retried by <@U0BOB>"),
		"retrying":         retryingMessage(num, "U0BOB", "req123"),
		"outcome_private":  privateOutcomeMessage(announce, []partyOutcome{{shown: userTarget("U0ALICE"), outcome: outcome{status: outcomeDialled, apiID: "8ec6f5cd"}}}, phlo.RoleCustomer, "req123"),
		"caller_unknown":   callerUnknownMessage("U0CALLER", &NoAddressError{UserID: "U0CALLER"}),
		"caller_bad_phone": callerUnknownMessage("U0CALLER", &NoAddressError{UserID: "U0CALLER", ProfileReason: "too short to be a phone number"}),
		"nobody_to_dial":   nobodyToDialMessage(missing),
		"too_many":         tooManyMessage(&TooManyPeopleError{Count: 34}),
		"profile_lookup":   profileLookupFailedMessage("U0ALICE", "ratelimited"),
		"busy":             busyMessage(1000),
		"queued":           queuedMessage(3),
		"stopped":          stoppedMessage(),
		"unknown_command":  unknownCommandMessage("/mpc-remove"),
		"rate_queued":      rateQueuedMessage(30, 12*time.Second),
		"rate_limited":     rateLimitedMessage(30, 90*time.Second),
		"registered":       registeredMessage("+14155550100"),
		"whoami":           whoamiMessage("+1415•••0100", sourceProfile),
		"history": historyMessage([]store.Add{
			{RequestID: "r3/0", UserID: "U0CALLER", To: "+14155550100", Role: "agent", Status: store.StatusDialled, APIID: "api-3", CreatedAt: t0.Add(-time.Minute)},
			{RequestID: "r2/0", UserID: "U0CALLER", To: "sip:alice@example.sip.plivo.com", ToUser: "U0ALICE", Role: "customer", Status: store.StatusFailed, Error: "Plivo rejected mpc-bot's credentials (HTTP 401)", CreatedAt: t0.Add(-2 * time.Minute)},
			{RequestID: "r1/0", UserID: "U0CALLER", To: "+442079460000", Role: "agent", Status: store.StatusPending, CreatedAt: t0.Add(-time.Hour)},
			{RequestID: "r0/denied", UserID: "U0RANDO", Status: store.StatusDenied, Error: "channel: mpc-bot is not enabled in this channel.", CreatedAt: t0.Add(-2 * time.Hour)},
		}, t0),
		"modal": addModal(modalOrigin{ChannelID: "C0INCIDENT", ThreadTS: "1764072000.000100"}),
	}
	for name, m := range golden {
		t.Run(name, func(t *testing.T) {
			got, err := json.MarshalIndent(m, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./bot -run TestMessagesGolden -update to create it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("%s differs from the golden file; if the change is intended, run with -update.\ngot:\n%s", path, got)
			}
		})
	}
}
