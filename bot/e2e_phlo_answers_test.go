package bot_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mpc-bot/mpc-bot/bot/slacktest"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

// TestAcceptedAnswersWithoutAnAPIID: any 2xx is Plivo accepting the
// request, whatever the body; the id is read in either spelling.
func TestAcceptedAnswersWithoutAnAPIID(t *testing.T) {
	for _, tt := range []struct{ name, body, want string }{
		{"plivo-go spelling", `{"ApiID":"abc-123","Error":""}`, "PHLO api_id `abc-123`"},
		{"empty object", `{}`, "Plivo accepted the request (no api_id given)"},
		{"empty body", ``, "Plivo accepted the request (no api_id given)"},
		{"error text on a 2xx", `{"api_id":"abc-9","error":"queued behind another call"}`, "Plivo said: _queued behind another call_"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.phlo.Enqueue(phlotest.Response{Status: http.StatusCreated, Body: tt.body})
			h.command(callerID, publicChan, "+14155550100")
			_, reply := h.waitThread(publicChan)
			if !strings.Contains(reply.Text, ":white_check_mark: Plivo is dialling") || !strings.Contains(reply.Text, tt.want) || strings.Contains(reply.Text, "may or may not") {
				t.Errorf("reply %q, want %q", reply.Text, tt.want)
			}
			if _, ok := buttonsOf(t, reply.Blocks)["mpc_retry"]; ok {
				t.Error("an accepted request offers Retry")
			}
		})
	}
}

// TestNumbersWithExtensions: a caller's desk phone places calls from its
// main number; a person to dial whose number has an extension is not
// dialled, with advice.
func TestNumbersWithExtensions(t *testing.T) {
	h := newHarness(t)
	h.slack.AddUser(slacktest.User{ID: "U0DESK", Name: "desk", Phone: "+1 415-555-0100 x123"})
	h.command("U0DESK", publicChan, "+442079460055")
	h.idle()
	if r := h.phlo.Requests(); len(r) != 1 || r[0].TriggerSource != "+14155550100" {
		t.Fatalf("PHLO %+v", r)
	}
	if got := privateAnswer(h, "U0DESK", "whoami"); !strings.Contains(got, "Its extension is not used") {
		t.Errorf("whoami %q", got)
	}
	got := privateAnswer(h, callerID, "<@U0DESK> +1 415 555 0101 ext. 12")
	for _, want := range []string{"<@U0DESK>: their number has an extension (123), which Plivo cannot dial", "+14155550101: the number has an extension (12)", "or the main number +14155550101 without the extension"} {
		if !strings.Contains(got, want) {
			t.Errorf("told %q, want %q", got, want)
		}
	}
	if strings.Contains(got, "is not allowed in a phone number") || strings.Contains(got, "4155550100") {
		t.Errorf("a generic character error: %q", got)
	}
}
