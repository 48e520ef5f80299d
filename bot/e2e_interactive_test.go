package bot_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/mpc-bot/mpc-bot/bot/slacktest"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

const (
	dbaGroupID  = "S0DBAS"
	incidentTS  = "1700000000.000100" // a message in the incident channel
	incidentTS2 = "1700000000.000200" // a reply in its thread
)

// addIncidentThread adds the people and messages the interactive flows use.
func addIncidentThread(h *harness) {
	h.slack.AddUser(slacktest.User{ID: "U0DBA1", Name: "dana", Phone: "+1 415 555 0181"})
	h.slack.AddUser(slacktest.User{ID: "U0DBA2", Name: "dev", Phone: "+1 415 555 0182"})
	h.slack.AddUserGroup(dbaGroupID, "oncall-dbs", "U0DBA1", "U0DBA2", nobodyID)
	h.slack.AddMessage(publicChan, incidentTS, "")
	h.slack.AddMessage(publicChan, incidentTS2, incidentTS)
}

// openedView returns the one view opened so far, decoded as Slack would
// show it.
func openedView(h *harness) (slacktest.View, slack.View) {
	h.t.Helper()
	h.waitFor("a view", func() bool { return len(h.slack.Views()) == 1 })
	rec := h.slack.Views()[0]
	var v slack.View
	if err := json.Unmarshal(rec.View, &v); err != nil {
		h.t.Fatalf("view JSON: %v\n%s", err, rec.View)
	}
	return rec, v
}

// submit builds a view_submission from the view's own blocks, filling the
// inputs as a person would, and returns the ack.
func submit(h *harness, user string, v slack.View, users []string, number, role, note string) slacktest.Ack {
	h.t.Helper()
	values := map[string]map[string]any{}
	for _, blk := range v.Blocks.BlockSet {
		in, ok := blk.(*slack.InputBlock)
		if !ok {
			continue
		}
		var val map[string]any
		switch el := in.Element.(type) {
		case *slack.MultiSelectBlockElement:
			val = map[string]any{"type": el.Type, "selected_users": users}
		case *slack.PlainTextInputBlockElement:
			text := number
			if el.Multiline {
				text = note
			}
			val = map[string]any{"type": el.Type, "value": text}
		case *slack.RadioButtonsBlockElement:
			val = map[string]any{"type": el.Type, "selected_option": map[string]any{"value": role, "text": map[string]any{"type": "plain_text", "text": role}}}
		default:
			h.t.Fatalf("unexpected input element %T", el)
		}
		values[in.BlockID] = map[string]any{actionIDOf(h, in.Element): val}
	}
	env, err := h.slack.SendInteraction(map[string]any{
		"type": "view_submission", "team": map[string]any{"id": slacktest.TeamID}, "user": map[string]any{"id": user},
		"trigger_id": h.slack.NewTriggerID(),
		"view": map[string]any{
			"id": "V0MODAL", "hash": "h-" + number + role + strings.Join(users, ","), "type": "modal", "callback_id": v.CallbackID,
			"private_metadata": v.PrivateMetadata, "state": map[string]any{"values": values},
		},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	ack, err := h.slack.WaitAck(h.ctx(), env)
	if err != nil {
		h.t.Fatal(err)
	}
	return ack
}

func actionIDOf(h *harness, el slack.BlockElement) string {
	b, _ := json.Marshal(el)
	var a struct {
		ActionID string `json:"action_id"`
	}
	json.Unmarshal(b, &a)
	if a.ActionID == "" {
		h.t.Fatalf("element %s has no action_id", b)
	}
	return a.ActionID
}

// submissionErrors decodes a response_action: errors ack.
func submissionErrors(t *testing.T, a slacktest.Ack) map[string]string {
	t.Helper()
	var p struct {
		Action string            `json:"response_action"`
		Errors map[string]string `json:"errors"`
	}
	if len(a.Payload) > 0 {
		json.Unmarshal(a.Payload, &p)
	}
	if p.Action != "errors" {
		return nil
	}
	return p.Errors
}

func TestModalFromSlashCommand(t *testing.T) {
	h := newHarness(t)
	addIncidentThread(h)
	env, _, trigger, err := h.slack.SendSlashCommand(slacktest.SlashCommand{UserID: callerID, ChannelID: publicChan})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.slack.WaitAck(h.ctx(), env); err != nil {
		t.Fatal(err)
	}
	rec, v := openedView(h)
	if rec.TriggerID != trigger || rec.Method != "views.open" || v.CallbackID == "" || len(v.PrivateMetadata) > 3000 {
		t.Fatalf("opened %+v with trigger %q, want the command's %q", v, rec.TriggerID, trigger)
	}

	ack := submit(h, callerID, v, []string{"U0DBA1", aliceID}, "+44 20 7946 0001", "customer", "DB failover: need a DBA")
	if errs := submissionErrors(t, ack); errs != nil {
		t.Fatalf("valid form refused: %v", errs)
	}
	h.waitFor("three replies", func() bool { _, r := h.thread(publicChan); return len(r) == 3 })
	parent, replies := h.thread(publicChan)
	for _, want := range []string{"<@" + callerID + "> is adding", "<@U0DBA1>", "<@" + aliceID + ">", "+442079460001", "as customer", "DB failover: need a DBA"} {
		if !strings.Contains(parent.Text, want) {
			t.Errorf("channel message %q lacks %q", parent.Text, want)
		}
	}
	got := map[string]string{}
	for _, r := range h.phlo.Requests() {
		got[r.To] = r.Role + " " + r.TriggerSource
	}
	want := map[string]string{"+14155550181": "customer " + callerNumber, "sip:alice@example.sip.plivo.com": "customer " + callerNumber, "+442079460001": "customer " + callerNumber}
	if len(got) != 3 || got["+14155550181"] != want["+14155550181"] || got["sip:alice@example.sip.plivo.com"] != want["sip:alice@example.sip.plivo.com"] || got["+442079460001"] != want["+442079460001"] {
		t.Errorf("PHLO requests %v, want %v", got, want)
	}
	for _, r := range replies {
		if r.ThreadTS != parent.TS || !strings.Contains(r.Text, "Plivo is dialling") {
			t.Errorf("reply %+v", r)
		}
	}
}

func TestModalInlineErrors(t *testing.T) {
	h := newHarness(t)
	addIncidentThread(h)
	h.command(callerID, publicChan, "")
	_, v := openedView(h)
	for _, tt := range []struct {
		name   string
		user   string
		users  []string
		number string
		block  string
		want   string
	}{
		{"nothing chosen", callerID, nil, "", "people", "Choose someone"},
		{"bad number", callerID, nil, "+1 415", "number", "too short"},
		{"person without a number", callerID, []string{"U0DBA1", nobodyID}, "", "people", "@nobody: no number registered, in the directory file or in their Slack profile"},
		{"caller unmapped", nobodyID, []string{"U0DBA1"}, "", "people", "I don't know your own phone number, which Plivo needs to place the call on your behalf (its trigger_source)"},
		{"premium-rate number", callerID, nil, "+1 900 555 0123", "number", "+19005550123: a premium-rate number, which mpc-bot never dials"},
	} {
		ack := submit(h, tt.user, v, tt.users, tt.number, "agent", "")
		errs := submissionErrors(t, ack)
		if !strings.Contains(errs[tt.block], tt.want) {
			t.Errorf("%s: errors %v, want %s: %q", tt.name, errs, tt.block, tt.want)
		}
	}
	h.idle()
	if n := len(h.phlo.Requests()); n != 0 {
		t.Errorf("refused forms made %d PHLO requests", n)
	}
}

func TestMentionsAndUserGroups(t *testing.T) {
	h := newHarness(t)
	addIncidentThread(h)
	h.command(callerID, publicChan, "<@"+aliceID+"|alice> <!subteam^"+dbaGroupID+"|@oncall-dbs> customer")
	h.waitFor("three replies", func() bool { _, r := h.thread(publicChan); return len(r) == 3 })
	parent, _ := h.thread(publicChan)
	if !strings.Contains(parent.Text, "Not dialled: <@"+nobodyID+">: no number registered") {
		t.Errorf("announcement %q does not list the member without a number", parent.Text)
	}
	tos := map[string]bool{}
	for _, r := range h.phlo.Requests() {
		tos[r.To] = r.Role == "customer"
	}
	if len(tos) != 3 || !tos["sip:alice@example.sip.plivo.com"] || !tos["+14155550181"] || !tos["+14155550182"] {
		t.Errorf("dialled %v", tos)
	}
}

func TestTooManyPeopleAfterGroupExpansion(t *testing.T) {
	h := newHarness(t)
	var members []string
	for i := range 25 {
		id := "U0M" + string(rune('A'+i))
		h.slack.AddUser(slacktest.User{ID: id, Name: id, Phone: "+1 415 555 01" + string(rune('0'+i/10)) + string(rune('0'+i%10))})
		members = append(members, id)
	}
	h.slack.AddUserGroup("S0BIG", "everyone", members...)
	_, responseURL := h.command(callerID, publicChan, "<!subteam^S0BIG|@everyone>")
	h.waitFor("a private answer", func() bool { return len(responsesTo(h, responseURL)) > 0 })
	if r := responsesTo(h, responseURL)[0]; !strings.Contains(r.Text, "That is 25 people once user groups are counted; one request dials at most 20") {
		t.Errorf("told %q", r.Text)
	}
	if n := len(h.phlo.Requests()); n != 0 {
		t.Errorf("%d PHLO requests", n)
	}
}

func TestMessageShortcutRepliesInTheThread(t *testing.T) {
	h := newHarness(t)
	addIncidentThread(h)
	trigger := h.slack.NewTriggerID()
	env, err := h.slack.SendInteraction(map[string]any{
		"type": "message_action", "callback_id": "mpc_add_to_call", "trigger_id": trigger,
		"team": map[string]any{"id": slacktest.TeamID}, "user": map[string]any{"id": callerID},
		"channel": map[string]any{"id": publicChan}, "response_url": h.slack.NewResponseURL(),
		"message": map[string]any{"type": "message", "ts": incidentTS2, "thread_ts": incidentTS, "text": "db is down"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.slack.WaitAck(h.ctx(), env); err != nil {
		t.Fatal(err)
	}
	rec, v := openedView(h)
	if rec.TriggerID != trigger {
		t.Fatalf("view opened with trigger %q, want %q", rec.TriggerID, trigger)
	}
	submit(h, callerID, v, []string{"U0DBA2"}, "", "agent", "")
	h.waitFor("announcement and reply", func() bool { return len(h.slack.Messages()) == 2 })
	for _, m := range h.slack.Messages() {
		if m.ThreadTS != incidentTS || m.UnknownThread {
			t.Errorf("message %q went to thread %q, want the incident thread %q", m.Text, m.ThreadTS, incidentTS)
		}
	}
}

// mentionEvent is an app_mention callback with a fixed event ID, so tests
// can re-deliver it.
func mentionEvent(eventID, text, ts, threadTS string) map[string]any {
	return map[string]any{
		"type": "event_callback", "team_id": slacktest.TeamID, "api_app_id": slacktest.AppID, "event_id": eventID, "event_time": 1764072000,
		"event": map[string]any{"type": "app_mention", "user": callerID, "text": text, "ts": ts, "thread_ts": threadTS, "channel": publicChan, "event_ts": ts},
	}
}

func TestMentionInThreadRepliesThereOnceDespiteRedelivery(t *testing.T) {
	h := newHarness(t)
	addIncidentThread(h)
	ev := mentionEvent("Ev0MENTION1", "<@"+slacktest.BotUserID+"> add <@U0DBA1|dana> customer", "1700000000.000300", incidentTS)
	for i := range 3 {
		if err := h.slack.Send(slacktest.Envelope{Type: "events_api", Payload: ev, RetryAttempt: i, RetryReason: map[bool]string{true: "timeout"}[i > 0]}); err != nil {
			t.Fatal(err)
		}
	}
	h.waitFor("announcement and reply", func() bool { return len(h.slack.Messages()) == 2 })
	h.idle()
	if n := len(h.phlo.Requests()); n != 1 {
		t.Fatalf("a thrice-delivered mention made %d PHLO requests", n)
	}
	if r := h.phlo.Requests()[0]; r.To != "+14155550181" || r.Role != "customer" {
		t.Errorf("PHLO request %+v", r)
	}
	for _, m := range h.slack.Messages() {
		if m.ThreadTS != incidentTS {
			t.Errorf("message %q in thread %q, want %q", m.Text, m.ThreadTS, incidentTS)
		}
	}

	// Bad input in a mention is answered privately in the thread.
	if err := h.slack.Send(slacktest.Envelope{Type: "events_api", Payload: mentionEvent("Ev0MENTION2", "<@"+slacktest.BotUserID+"> add bob", "1700000000.000400", incidentTS)}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("an ephemeral", func() bool { return len(h.slack.Ephemerals()) == 1 })
	if e := h.slack.Ephemerals()[0]; e.User != callerID || e.ThreadTS != incidentTS || !strings.Contains(e.Text, "`bob` is not a number") {
		t.Errorf("ephemeral %+v", e)
	}
}

func TestRetryButtonDialsOnceUnderDoubleClick(t *testing.T) {
	h := newHarness(t)
	addIncidentThread(h)
	h.phlo.Enqueue(phlotest.Response{Status: http.StatusNotFound, Body: `{"api_id":"x","error":"not found"}`})
	h.command(callerID, publicChan, "+14155550100")
	_, reply := h.waitThread(publicChan)
	var blocks slack.Blocks
	if err := json.Unmarshal(reply.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	var button *slack.ButtonBlockElement
	for _, b := range blocks.BlockSet {
		if a, ok := b.(*slack.ActionBlock); ok {
			button = a.Elements.ElementSet[0].(*slack.ButtonBlockElement)
		}
	}
	if button == nil {
		t.Fatalf("failed outcome has no Retry button: %s", reply.Blocks)
	}
	click := map[string]any{
		"type": "block_actions", "team": map[string]any{"id": slacktest.TeamID}, "user": map[string]any{"id": "U0DBA1"},
		"channel":   map[string]any{"id": publicChan},
		"container": map[string]any{"type": "message", "channel_id": publicChan, "message_ts": reply.TS},
		"message":   map[string]any{"type": "message", "ts": reply.TS},
		"actions":   []map[string]any{{"type": "button", "action_id": button.ActionID, "block_id": "retry", "value": button.Value, "action_ts": "1764072001.000001"}},
	}
	for range 2 {
		if _, err := h.slack.SendInteraction(click); err != nil {
			t.Fatal(err)
		}
	}
	h.waitFor("the outcome update", func() bool {
		u := h.slack.Updates()
		return len(u) > 0 && strings.Contains(u[len(u)-1].Text, "Plivo is dialling")
	})
	h.idle()
	reqs := h.phlo.Requests()
	if len(reqs) != 2 {
		t.Fatalf("a double-clicked Retry made %d PHLO requests in all, want 2 (the failure and one retry)", len(reqs))
	}
	// The retry is the presser's: the same number and role, from their own
	// number.
	if reqs[1].To != "+14155550100" || reqs[1].TriggerSource != "+14155550181" || reqs[1].Role != "agent" {
		t.Errorf("retry sent %+v, want the original request from the presser's number", reqs[1])
	}
	u := h.slack.Updates()
	last := u[len(u)-1]
	if last.TS != reply.TS || !strings.Contains(last.Text, reqs[1].APIID) || !strings.Contains(last.Text, "Retried by <@U0DBA1>") {
		t.Errorf("updated message %+v", last)
	}
}

// TestFormThatLostItsOriginStaysOpen: a submission whose stored origin is
// gone cannot be announced anywhere; the form stays open and says so,
// rather than closing as if someone were dialled.
func TestFormThatLostItsOriginStaysOpen(t *testing.T) {
	h := newHarness(t)
	env, _, _, err := h.slack.SendSlashCommand(slacktest.SlashCommand{UserID: callerID, ChannelID: publicChan})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.slack.WaitAck(h.ctx(), env); err != nil {
		t.Fatal(err)
	}
	_, v := openedView(h)
	v.PrivateMetadata = ""
	errs := submissionErrors(t, submit(h, callerID, v, nil, "+14155550100", "agent", ""))
	if !strings.Contains(errs["people"], "run /mpc-add again") {
		t.Errorf("form errors %v, want the form to say it lost its origin", errs)
	}
	h.idle()
	if n := len(h.phlo.Requests()); n != 0 {
		t.Errorf("%d PHLO requests from a form without an origin", n)
	}
}
