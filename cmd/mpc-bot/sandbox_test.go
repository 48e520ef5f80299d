package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSandboxThroughStdin runs `mpc-bot sandbox` as a script would: no
// settings at all, commands on stdin, exit 0 at end of input.
func TestSandboxThroughStdin(t *testing.T) {
	cmd := exec.Command(binary, "sandbox")
	cmd.Env = []string{"PATH=/usr/bin:/bin"} // no settings, no tokens
	cmd.Stdin = strings.NewReader("/mpc-add +14155550100 agent\n/mpc-add @alice @bob customer\n/mpc-add +1 415\n@mpc-bot add @carol\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sandbox: %v\n%s", err, out)
	}
	got := string(out)
	for _, want := range []string{
		"#incident   :telephone_receiver: @you is adding +1•••0100 to the call as agent.",
		"└ thread   :white_check_mark: Plivo is dialling +1•••0100 as agent. PHLO api_id",
		`{"action":"call","to":"+14155550100","role":"agent","trigger_source":"+14155550199"}`,
		"→ 201 api_id",
		"@you is adding @alice and @bob to the call as customer.",
		`"to":"sip:bob@example.sip.plivo.com","role":"customer"`,
		"only you    :warning: `+1 415` is not a number or SIP address I can dial",
		"Nothing was done: @carol: no number registered",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("sandbox output lacks %q", want)
		}
	}
	if strings.Count(got, "PHLO        POST") != 3 {
		t.Errorf("want 3 PHLO requests in the output:\n%s", got)
	}
	if t.Failed() {
		t.Logf("output:\n%s", got)
	}
}
