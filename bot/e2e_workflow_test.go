package bot_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpc-bot/mpc-bot/bot/slacktest"
	"github.com/mpc-bot/mpc-bot/conference"
	"github.com/mpc-bot/mpc-bot/store"
)

// stepCallbackID is the Workflow Builder step's callback_id, as
// manifest.workflows.yaml declares it.
const stepCallbackID = "mpc_add_to_call_step"

// runStep starts a run of the step "Add to call" with inputs and waits for
// its envelope's ack.
func runStep(h *harness, inputs map[string]any) slacktest.FunctionExecution {
	h.t.Helper()
	ex, err := h.slack.SendFunctionExecuted(slacktest.FunctionCall{CallbackID: stepCallbackID, Inputs: inputs})
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.slack.WaitAck(h.ctx(), ex.EnvelopeID); err != nil {
		h.t.Fatalf("no ack for the step: %v", err)
	}
	return ex
}

// completion waits until the run is completed, then until nothing is in
// flight, and returns the completion; it fails the test unless the step
// was completed exactly once (every attempt counts, accepted or not).
func completion(h *harness, ex slacktest.FunctionExecution) slacktest.FunctionCompletion {
	h.t.Helper()
	h.waitFor("the step's completion", func() bool { _, ok := completionOf(h, ex); return ok })
	h.idle()
	if n := h.slack.CallCount("functions.completeSuccess") + h.slack.CallCount("functions.completeError"); n != 1 {
		h.t.Errorf("%d attempts to complete the step; want exactly 1", n)
	}
	c, _ := completionOf(h, ex)
	if strings.Contains(h.logs.String(), ex.BotAccessToken) || strings.Contains(h.logs.String(), "xwfp-") {
		h.t.Error("the execution's bot_access_token reached the log")
	}
	return c
}

func completionOf(h *harness, ex slacktest.FunctionExecution) (slacktest.FunctionCompletion, bool) {
	for _, c := range h.slack.FunctionCompletions() {
		if c.FunctionExecutionID == ex.FunctionExecutionID {
			return c, true
		}
	}
	return slacktest.FunctionCompletion{}, false
}

// assertNothingPosted checks that Slack saw nothing of the run but its
// completion: no message, ephemeral, update or response_url post.
func assertNothingPosted(h *harness) {
	h.t.Helper()
	for _, m := range []string{"chat.postMessage", "chat.postEphemeral", "chat.update"} {
		if n := h.slack.CallCount(m); n != 0 {
			h.t.Errorf("%d %s calls; a step without a channel posts nothing", n, m)
		}
	}
	if n := len(h.slack.Responses()); n != 0 {
		h.t.Errorf("%d response_url posts; a step without a channel posts nothing", n)
	}
}

func TestWorkflowStepDialsPeopleAndCompletes(t *testing.T) {
	h := newHarness(t)
	ex := runStep(h, map[string]any{
		"people":       []any{aliceID, profileUserID},
		"requested_by": callerID,
		"role":         "customer",
	})
	c := completion(h, ex)

	reqs := h.phlo.Requests()
	if len(reqs) != 2 {
		t.Fatalf("PHLO got %d requests, want 2", len(reqs))
	}
	apiID := map[string]string{}
	for _, r := range reqs {
		if r.Action != "call" || r.Role != "customer" || r.TriggerSource != callerNumber {
			t.Errorf("PHLO request %+v; want a customer call from the requester's number", r)
		}
		apiID[r.To] = r.APIID
	}
	if c.Method != "functions.completeSuccess" {
		t.Fatalf("completed with %s (%q); want success", c.Method, c.Error)
	}
	// In the order the step named them: alice, then pat.
	want := apiID["sip:alice@example.sip.plivo.com"] + "," + apiID[profileNumber]
	if c.Outputs["dialled_count"] != "2" || c.Outputs["api_ids"] != want || c.Outputs["failed"] != "" {
		t.Errorf("outputs %v; want 2 dialled, api_ids %q, none failed", c.Outputs, want)
	}
	if id := c.Outputs["request_id"]; len(id) != 12 {
		t.Errorf("request_id output %q", id)
	}
	assertNothingPosted(h)
}

func TestWorkflowStepListsWhoWasNotDialled(t *testing.T) {
	h := newHarness(t)
	ex := runStep(h, map[string]any{
		"people":       []any{nobodyID},
		"numbers":      "+1 415 555 0100,\n+1 900 555 0123",
		"requested_by": callerID,
	})
	c := completion(h, ex)
	if n := len(h.phlo.Requests()); n != 1 {
		t.Fatalf("PHLO got %d requests, want 1 (the premium-rate number and the person without a number are left out): %+v", n, h.phlo.Requests())
	}
	if c.Method != "functions.completeSuccess" || c.Outputs["dialled_count"] != "1" || c.Outputs["api_ids"] != h.phlo.Requests()[0].APIID {
		t.Fatalf("completion %+v; want success with one dial", c)
	}
	failed := strings.Split(c.Outputs["failed"], "\n")
	if len(failed) != 2 || !strings.HasPrefix(failed[0], "<@"+nobodyID+">: no number registered") || !strings.Contains(failed[1], "+19005550123: a premium-rate number") {
		t.Errorf("failed output %q; want the person without a number, then the premium-rate number", c.Outputs["failed"])
	}
}

func TestWorkflowStepPremiumRateOnlyFails(t *testing.T) {
	h := newHarness(t)
	ex := runStep(h, map[string]any{"numbers": "+1 900 555 0123", "requested_by": callerID})
	c := completion(h, ex)
	if c.Method != "functions.completeError" {
		t.Fatalf("completed with %s %v; want an error", c.Method, c.Outputs)
	}
	if want := "Nothing was done: +19005550123: a premium-rate number, which mpc-bot never dials."; c.Error != want {
		t.Errorf("error %q; want %q", c.Error, want)
	}
	if n := len(h.phlo.Requests()); n != 0 {
		t.Errorf("PHLO got %d requests", n)
	}
	assertNothingPosted(h)
}

// A Plivo that refuses mpc-bot's credentials dials nobody, so the step
// fails, naming everyone and the reason once.
func TestWorkflowStepPlivoCredentialsRefusedFails(t *testing.T) {
	h := newHarness(t, func(s *setup) { s.PHLO.AuthToken = "wrong-token" })
	ex := runStep(h, map[string]any{"people": []any{aliceID, profileUserID}, "requested_by": callerID})
	c := completion(h, ex)
	if c.Method != "functions.completeError" {
		t.Fatalf("completed with %s %v; want an error", c.Method, c.Outputs)
	}
	want := "Nobody was dialled.\n<@" + aliceID + "> and <@" + profileUserID + ">: Plivo rejected mpc-bot's credentials (HTTP 401), so nothing was dialled. An admin needs to check `PLIVO_AUTH_ID` and `PLIVO_AUTH_TOKEN`."
	if c.Error != want {
		t.Errorf("error %q\nwant  %q", c.Error, want)
	}
	if n := len(h.phlo.Requests()); n != 2 {
		t.Errorf("PHLO got %d requests, want 2", n)
	}
	assertNothingPosted(h)
}

func TestWorkflowStepRedeliveredActsOnceAndCompletesOnce(t *testing.T) {
	h := newHarness(t)
	ex, err := h.slack.SendFunctionExecuted(slacktest.FunctionCall{CallbackID: stepCallbackID, Inputs: map[string]any{
		"numbers": "+14155550100", "requested_by": callerID, "channel": publicChan,
	}})
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt <= 2; attempt++ {
		if err := h.slack.Redeliver(ex.EnvelopeID, attempt); err != nil {
			t.Fatal(err)
		}
	}
	h.waitFor("three acks", func() bool { return h.slack.AckCount() >= 3 })
	c := completion(h, ex)
	if n := len(h.phlo.Requests()); n != 1 {
		t.Errorf("a thrice-delivered execution made %d PHLO requests", n)
	}
	if c.Method != "functions.completeSuccess" || c.Outputs["dialled_count"] != "1" {
		t.Errorf("completion %+v", c)
	}
	if parent, replies := h.thread(publicChan); parent.TS == "" || len(replies) != 1 {
		t.Errorf("channel: parent %+v and %d replies; want one announcement and one outcome", parent, len(replies))
	}
}

func TestWorkflowStepBadInputsFailOnce(t *testing.T) {
	for _, tt := range []struct {
		name   string
		inputs map[string]any
		want   string
	}{
		{"no requester", map[string]any{"numbers": "+14155550100"}, "set the step's Requested by input"},
		{"nobody", map[string]any{"requested_by": callerID}, "The step names nobody to dial: fill in People or Numbers."},
		{"bad number", map[string]any{"numbers": "+1 415 555", "requested_by": callerID}, "The step's Numbers input: `+1 415 555` is not a number or SIP address I can dial"},
		{"bad role", map[string]any{"numbers": "+14155550100", "role": "boss", "requested_by": callerID}, "The step's Role input is `boss`; use `agent` or `customer`"},
		{"bad channel", map[string]any{"numbers": "+14155550100", "channel": "#general", "requested_by": callerID}, "The step's Channel input is not a Slack channel"},
		{"people not a list", map[string]any{"people": 3.0, "requested_by": callerID}, "The step's People input should list Slack users, but Workflow Builder passed a number."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			ex := runStep(h, tt.inputs)
			if err := h.slack.Redeliver(ex.EnvelopeID, 1); err != nil {
				t.Fatal(err)
			}
			h.waitFor("two acks", func() bool { return h.slack.AckCount() >= 2 })
			c := completion(h, ex)
			if c.Method != "functions.completeError" || !strings.Contains(c.Error, tt.want) || !strings.Contains(c.Error, "Nothing was dialled") {
				t.Errorf("completion %s %q; want an error with %q", c.Method, c.Error, tt.want)
			}
			if n := len(h.phlo.Requests()); n != 0 {
				t.Errorf("PHLO got %d requests", n)
			}
			assertNothingPosted(h)
		})
	}
}

// The requester's own number is the call's trigger_source: without one
// the step fails and says whose number is missing and how to fix it.
func TestWorkflowStepRequesterWithoutNumberFails(t *testing.T) {
	h := newHarness(t)
	ex := runStep(h, map[string]any{"numbers": "+14155550100", "requested_by": nobodyID})
	c := completion(h, ex)
	if c.Method != "functions.completeError" || !strings.Contains(c.Error, "does not know the own phone number of <@"+nobodyID+">") || !strings.Contains(c.Error, "/mpc-add register") {
		t.Errorf("completion %s %q", c.Method, c.Error)
	}
	if n := len(h.phlo.Requests()); n != 0 {
		t.Errorf("PHLO got %d requests", n)
	}
	assertNothingPosted(h)
}

// A step naming no channel is refused where MPC_ALLOWED_CHANNELS limits
// mpc-bot to some channels, and is told to name one.
func TestWorkflowStepWithoutChannelWhereChannelsAreLimited(t *testing.T) {
	h := newHarness(t, func(s *setup) {
		p, err := conference.NewPolicy(conference.PolicyConfig{Channels: []string{publicChan}})
		if err != nil {
			t.Fatal(err)
		}
		s.Service.Policy = p
	})
	ex := runStep(h, map[string]any{"numbers": "+14155550100", "requested_by": callerID})
	c := completion(h, ex)
	if c.Method != "functions.completeError" || !strings.Contains(c.Error, "the step names no channel") {
		t.Errorf("completion %s %q", c.Method, c.Error)
	}
}

func TestWorkflowStepAnnouncesInItsChannel(t *testing.T) {
	h := newHarness(t)
	ex := runStep(h, map[string]any{
		"people":       []any{aliceID},
		"numbers":      "+14155550100",
		"requested_by": callerID,
		"channel":      publicChan,
		"note":         "Sev1: checkout is down",
	})
	c := completion(h, ex)
	if c.Method != "functions.completeSuccess" || c.Outputs["dialled_count"] != "2" {
		t.Fatalf("completion %+v", c)
	}
	parent, replies := h.thread(publicChan)
	if len(replies) != 2 {
		t.Fatalf("%d replies in the thread; want one per person", len(replies))
	}
	for _, r := range replies {
		if r.ThreadTS != parent.TS {
			t.Errorf("reply %+v is not in the announcement's thread", r)
		}
	}
	golden(t, "workflow_announcement", messageJSON(parent.Text, parent.Blocks))
	if n := h.slack.CallCount("chat.postEphemeral") + len(h.slack.Responses()); n != 0 {
		t.Errorf("%d private answers; a step has nobody to answer privately", n)
	}
}

// Two replicas on one database: the execution and its re-delivery reach
// one each, and the step dials once and is completed once.
func TestWorkflowStepOnTwoReplicasActsOnce(t *testing.T) {
	h, b2, svc2 := twoReplicas(t, store.Config{Path: filepath.Join(t.TempDir(), "shared.db")})

	ex, err := h.slack.SendFunctionExecuted(slacktest.FunctionCall{CallbackID: stepCallbackID, Inputs: map[string]any{
		"people": []any{aliceID}, "requested_by": callerID,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.slack.Redeliver(ex.EnvelopeID, 1); err != nil {
		t.Fatal(err)
	}
	h.waitFor("both acks", func() bool { return h.slack.AckCount() >= 2 })
	h.waitFor("the step's completion", func() bool { _, ok := completionOf(h, ex); return ok })
	h.idle()
	h.idleOf(b2, svc2)
	if n := len(h.phlo.Requests()); n != 1 {
		t.Errorf("two replicas made %d PHLO requests for one execution", n)
	}
	if n := h.slack.CallCount("functions.completeSuccess") + h.slack.CallCount("functions.completeError"); n != 1 {
		t.Errorf("%d attempts to complete the step; want 1", n)
	}
	assertNothingPosted(h)
}
