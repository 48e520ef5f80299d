package bot

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/mpc-bot/mpc-bot/phlo"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current output")

// TestMessagesGolden pins every message a person can see, so a reviewer
// reads the exact Block Kit in testdata/ and a change to it shows in diffs.
func TestMessagesGolden(t *testing.T) {
	num := numberTarget("+14155550100")
	_, err := ParseCommand("+14155550100 manager", "US")
	messages := map[string]message{
		"help":             helpMessage("/mpc-add", "US"),
		"usage_error":      usageMessage(err.(*UsageError)),
		"announce_number":  announceMessage("U0CALLER", num, phlo.RoleAgent, "req123"),
		"announce_user":    announceMessage("U0CALLER", userTarget("U0ALICE"), phlo.RoleCustomer, "req123"),
		"outcome_dialled":  outcomeMessage(num, phlo.RoleAgent, outcome{status: outcomeDialled, apiID: "8ec6f5cd-3b5b-4d6f-9f1e-2f6c2c1b1a11"}, "req123"),
		"outcome_failed":   outcomeMessage(num, phlo.RoleAgent, phloOutcome(phlo.Result{}, &phlo.APIError{StatusCode: 401}), "req123"),
		"outcome_unknown":  outcomeMessage(num, phlo.RoleAgent, phloOutcome(phlo.Result{}, &phlo.APIError{StatusCode: 502, Message: "bad gateway"}), "req123"),
		"outcome_private":  privateOutcomeMessage("U0CALLER", num, phlo.RoleAgent, outcome{status: outcomeDialled, apiID: "8ec6f5cd"}, "req123"),
		"caller_unknown":   callerUnknownMessage("U0CALLER", &NoAddressError{UserID: "U0CALLER"}),
		"caller_bad_phone": callerUnknownMessage("U0CALLER", &NoAddressError{UserID: "U0CALLER", ProfileReason: "too short to be a phone number"}),
		"target_unknown":   targetUnknownMessage("U0ALICE", &NoAddressError{UserID: "U0ALICE"}),
		"profile_lookup":   profileLookupFailedMessage("U0ALICE", "ratelimited"),
		"busy":             busyMessage(1000),
		"queued":           queuedMessage(3),
		"stopped":          stoppedMessage(),
		"unknown_command":  unknownCommandMessage("/mpc-remove"),
	}
	for name, m := range messages {
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
