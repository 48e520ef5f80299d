package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// sandboxSession runs `mpc-bot sandbox` as a script would: no settings at
// all, the script on stdin. It fails the test unless the sandbox exits 0
// at the end of input. The deadline only keeps a hung sandbox from
// hanging the test run.
func sandboxSession(t *testing.T, script string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "sandbox")
	cmd.Env = []string{"PATH=/usr/bin:/bin"} // no settings, no tokens
	cmd.Stdin = strings.NewReader(script)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sandbox: %v\n%s", err, out)
	}
	return string(out)
}

// wantInOrder checks that each want appears in got after the one before.
func wantInOrder(t *testing.T, got string, wants ...string) {
	t.Helper()
	rest := got
	for _, want := range wants {
		i := strings.Index(rest, want)
		if i < 0 {
			if strings.Contains(got, want) {
				t.Errorf("sandbox output has %q, but not after what comes before it", want)
			} else {
				t.Errorf("sandbox output lacks %q", want)
			}
			continue
		}
		rest = rest[i+len(want):]
	}
}

// TestSandboxClickThrough adds a number and holds it, adds another while
// PHLO fails (outcome unknown, Retry behind a question), retries it,
// fills the form field by field through an inline error, and shows the
// roster.
func TestSandboxClickThrough(t *testing.T) {
	got := sandboxSession(t, `/mpc-add +14155550100 agent
# [1] is the announcement's Roster, [2]-[4] the outcome's buttons
press 2
phlo 500
/mpc-add +14155550111 customer
phlo ok
press 9
yes
/mpc-add
@alice
+1 415
customer
dbs
DB failover
submit
-
submit
/mpc-add roster
`)
	wantInOrder(t, got,
		"press 3", // the intro
		"checked each bridge's PHLO and node",

		"> /mpc-add +14155550100 agent",
		"#incident   📞 @you is adding +1•••0100 to the call on default as agent.",
		"[1] Roster",
		"└ thread    ✅ Plivo is dialling +1•••0100 as agent on default. PHLO api_id",
		"[2] Hold   [3] Take off hold   [4] Hang up (asks first: Hang up?)",
		`{"action":"call","to":"+14155550100","role":"agent","trigger_source":"+14155550199"}`,
		"→ 201 api_id",

		"> press 2",
		"edited      ✅ Plivo is dialling +1•••0100",
		"· On hold, by @you",
		"[5] Hold   [6] Take off hold   [7] Hang up",
		"· edited in place (chat.update): the thread reply that read",
		`/members/+14155550100 {"action":"hold"}`,

		"> phlo 500",
		"PHLO now answers every request 500 Internal Server Error",
		"> /mpc-add +14155550111 customer",
		"[8] Roster",
		"⚠️ +1•••0111 may or may not be dialled: Plivo had an internal error (HTTP 500)",
		"[9] Retry (asks first: Dial again?)",
		"→ 500 api_id",

		"> phlo ok",
		"> press 9",
		"asks first  Dial again?",
		"The first call may still ring.",
		"[Dial again]  [Cancel]",
		"type yes to press Dial again, or no",
		"> yes",
		"✅ Plivo is dialling +1•••0111 as customer on default.",
		"· Retried by @you",
		`{"action":"call","to":"+14155550111","role":"customer","trigger_source":"+14155550199"}`,
		"→ 201 api_id",

		"> /mpc-add",
		"form        ━━ Add to the call ━━",
		"People in Slack (optional): [ Choose people ▾ ]",
		"Role: (•) Agent  ( ) Customer",
		"Bridge: [ default ▾ ]  of dbs, default",
		"[Cancel]  [Dial]",
		"? People in Slack (optional) — names, e.g. @alice @bob. Now: empty.",
		"> @alice",
		"? Someone not in Slack (optional)",
		"> +1 415",
		"? Role — one of agent",
		"> customer",
		"? Bridge — one of dbs (Database incidents), default",
		"> dbs",
		"? Why do you need them? (optional)",
		"> DB failover",
		"People in Slack (optional): [ @alice ▾ ]",
		"Role: ( ) Agent  (•) Customer",
		"Bridge: [ dbs ▾ ]",
		"? Type submit (the Dial button), cancel to close the form, or a field to change it: people, number, role, bridge, note.",
		"> submit",
		"Someone not in Slack (optional): [ +1 415 ]",
		"✗ That is not a number or SIP address I can dial",
		"mpc-bot kept the form open with errors on its fields",
		"? Someone not in Slack (optional) — fix it: That is not a number or SIP address I can dial",
		"> -",
		"> submit",
		"form        Submitted; mpc-bot closed the form.",
		"#incident   📞 @you is adding @alice to the call on dbs as customer.",
		"┃ DB failover",
		"✅ Plivo is dialling @alice as customer on dbs.",
		"/v1/phlo/"+sandboxBridgePhlo+"/multi_party_call/"+sandboxBridgeNode+` {"action":"call","to":"+14155550101","role":"customer"`,

		"> /mpc-add roster",
		"only you    Whom this channel pulled onto the call in the last 12 hours",
		"+1•••0100 as agent on default: On hold, by @you",
		"@alice as customer on dbs: Dialled",
		"· only you can see this (the command's ack)",
	)
	if n := strings.Count(got, "PHLO        POST"); n != 5 {
		t.Errorf("want 5 PHLO requests (3 adds, a hold, a retry), got %d", n)
	}
	if strings.Contains(got, "<@") || strings.Contains(got, "<!date") || strings.Contains(got, "&gt;") {
		t.Errorf("raw Slack markup reached the output")
	}
	if t.Failed() {
		t.Logf("output:\n%s", got)
	}
}

// TestSandboxThroughStdin types what the README suggests: commands that
// dial, a refusal, a mention; and presses a question away, an old button
// and one that is gone.
func TestSandboxThroughStdin(t *testing.T) {
	got := sandboxSession(t, `/mpc-add +14155550100 agent
/mpc-add @alice @bob customer
/mpc-add +1 415
@mpc-bot add @carol
press 4
no
press 2
press 2
press 99
/mpc-add bridge
what
`)
	for _, want := range []string{
		"#incident   📞 @you is adding +1•••0100 to the call on default as agent.",
		"└ thread    ✅ Plivo is dialling +1•••0100 as agent on default. PHLO api_id",
		`{"action":"call","to":"+14155550100","role":"agent","trigger_source":"+14155550199"}`,
		"→ 201 api_id",
		"@you is adding @alice and @bob to the call on default as customer.",
		`"to":"sip:bob@example.sip.plivo.com","role":"customer"`,
		"only you    ⚠️ `+1 415` is not a number or SIP address I can dial",
		"#incident   @you: @mpc-bot add @carol",
		"only you    👤 Nothing was done: @carol: no number registered",
		"only you can see this (chat.postEphemeral)",
		"asks first  Hang up?",
		"Cancelled: Slack tells mpc-bot nothing.",
		"· On hold, by @you",
		"Button [2] is gone: its message was edited. Its buttons now: [",
		"There is no button [99]",
		"This channel uses the bridge default",
		"`dbs` (Database incidents)",
		"Type /mpc-add …, @mpc-bot add …, press <n>, phlo <mode> or help.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("sandbox output lacks %q", want)
		}
	}
	// Three dials (alice's and bob's in either order) and one hold; the
	// cancelled hang-up sent nothing.
	if n := strings.Count(got, "PHLO        POST"); n != 4 {
		t.Errorf("want 4 PHLO requests, got %d", n)
	}
	if strings.Contains(got, `"action":"hangup"`) {
		t.Errorf("a cancelled Hang up reached PHLO")
	}
	if t.Failed() {
		t.Logf("output:\n%s", got)
	}
}

// TestSandboxInProcess runs the sandbox inside the test, as main does, so
// that the race detector watches it and the bot together.
func TestSandboxInProcess(t *testing.T) {
	var out strings.Builder
	script := "/mpc-add +14155550100\npress 2\n/mpc-add\n@alice\n\n\n\n\nsubmit\n/mpc-add roster\npress 15\n"
	if err := run(context.Background(), []string{"sandbox"}, strings.NewReader(script), &out, &out); err != nil {
		t.Fatalf("sandbox: %v\n%s", err, out.String())
	}
	got := out.String()
	wantInOrder(t, got,
		"[2] Hold   [3] Take off hold   [4] Hang up (asks first: Hang up?)",
		"> press 2",
		"· On hold, by @you",
		"> /mpc-add",
		"? People in Slack (optional)",
		"> submit",
		"Submitted; mpc-bot closed the form.",
		"📞 @you is adding @alice to the call on default as agent.",
		"> /mpc-add roster",
		"only you    Whom this channel pulled onto the call",
		"[15] Hold",
		"> press 15",
		"edited      ⏸️",
		"edited in place (response_url, replace_original): your private message",
	)
	if t.Failed() {
		t.Logf("output:\n%s", got)
	}
}
