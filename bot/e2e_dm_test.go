package bot_test

import (
	"strings"
	"testing"

	"github.com/mpc-bot/mpc-bot/bot/slacktest"
)

// directMessage sends user's message to the app's Messages tab and waits
// for its ack.
func directMessage(h *harness, m slacktest.DirectMessage) slacktest.SentEvent {
	h.t.Helper()
	sent, err := h.slack.SendDirectMessage(m)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.slack.WaitAck(h.ctx(), sent.EnvelopeID); err != nil {
		h.t.Fatalf("no ack for the direct message %q: %v", m.Text, err)
	}
	return sent
}

// messagesIn returns the bot's messages in channel, in order.
func messagesIn(h *harness, channel string) []slacktest.Message {
	var out []slacktest.Message
	for _, m := range h.slack.Messages() {
		if m.Channel == channel {
			out = append(out, m)
		}
	}
	return out
}

// answerIn sends text to the app in user's DM and returns the one
// message the bot answers with there.
func answerIn(h *harness, user, text string) slacktest.Message {
	h.t.Helper()
	dm := slacktest.DMChannelID(user)
	before := len(messagesIn(h, dm))
	directMessage(h, slacktest.DirectMessage{User: user, Text: text})
	h.waitFor("an answer to "+text, func() bool { return len(messagesIn(h, dm)) > before })
	h.idle()
	if got := messagesIn(h, dm); len(got) != before+1 {
		h.t.Fatalf("%d answers to %q, want 1: %+v", len(got)-before, text, got[before:])
	}
	return messagesIn(h, dm)[before]
}

func TestDirectMessageAddIsAnnouncedInTheDMOnce(t *testing.T) {
	h := newHarness(t)
	dm := slacktest.DMChannelID(callerID)
	sent := directMessage(h, slacktest.DirectMessage{User: callerID, Text: "+14155550100"})
	parent, reply := h.waitThread(dm)
	if !strings.Contains(parent.Text, "<@"+callerID+"> is adding +14155550100 to the call as agent") || parent.ThreadTS != "" {
		t.Errorf("announcement %+v", parent)
	}
	if !strings.Contains(reply.Text, "Plivo is dialling +14155550100") || reply.ThreadTS != parent.TS || reply.UnknownThread {
		t.Errorf("outcome %+v, want it under the announcement %s", reply, parent.TS)
	}
	golden(t, "dm_announce", messageJSON(parent.Text, parent.Blocks))

	// Slack re-delivers the same event (same event_id, retry_attempt 1).
	if err := h.slack.Redeliver(sent.EnvelopeID, 1); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the re-delivery's ack", func() bool { return h.slack.AckCount() == 2 })
	h.idle()
	if reqs := h.phlo.Requests(); len(reqs) != 1 || reqs[0].To != "+14155550100" || reqs[0].TriggerSource != callerNumber {
		t.Errorf("PHLO requests %+v, want one dial", reqs)
	}
	if n := len(messagesIn(h, dm)); n != 2 || len(h.slack.Messages()) != 2 {
		t.Errorf("%d messages in the DM (%d in all), want the announcement and the outcome", n, len(h.slack.Messages()))
	}
	if e, r := h.slack.Ephemerals(), h.slack.Responses(); len(e)+len(r) != 0 {
		t.Errorf("private answers outside the DM: %+v %+v", e, r)
	}

	// history in the DM is the DM's own.
	if got := answerIn(h, callerID, "history"); !strings.Contains(got.Text, "<@"+callerID+"> added +1•••0100 as agent: accepted") || got.ThreadTS != "" {
		t.Errorf("history in the DM: %+v", got)
	}
}

func TestDirectMessageInAThreadStaysInIt(t *testing.T) {
	h := newHarness(t)
	dm := slacktest.DMChannelID(callerID)
	first := directMessage(h, slacktest.DirectMessage{User: callerID, Text: "help"})
	h.waitFor("the help", func() bool { return len(messagesIn(h, dm)) == 1 })
	directMessage(h, slacktest.DirectMessage{User: callerID, Text: "add +14155550100 customer", ThreadTS: first.TS})
	h.waitFor("announcement and outcome", func() bool { return len(messagesIn(h, dm)) == 3 })
	h.idle()
	for _, m := range messagesIn(h, dm)[1:] {
		if m.ThreadTS != first.TS || m.UnknownThread {
			t.Errorf("message %q in thread %q, want the DM's thread %q", m.Text, m.ThreadTS, first.TS)
		}
	}
	if r := h.phlo.Requests(); len(r) != 1 || r[0].Role != "customer" {
		t.Errorf("PHLO requests %+v", r)
	}
}

func TestDirectMessageAnswersInTheDM(t *testing.T) {
	h := newHarness(t)
	dm := slacktest.DMChannelID(callerID)
	sent := directMessage(h, slacktest.DirectMessage{User: callerID, Text: "whoami"})
	h.waitFor("the answer", func() bool { return len(messagesIn(h, dm)) == 1 })
	got := messagesIn(h, dm)[0]
	if !strings.Contains(got.Text, "+1•••0199") || !strings.Contains(got.Text, "directory file") || got.ThreadTS != "" {
		t.Errorf("whoami in the DM: %+v", got)
	}
	if err := h.slack.Redeliver(sent.EnvelopeID, 1); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the re-delivery's ack", func() bool { return h.slack.AckCount() == 2 })
	h.idle()
	if n := len(messagesIn(h, dm)); n != 1 {
		t.Errorf("a re-delivered whoami was answered %d times", n)
	}

	for _, tt := range []struct{ user, text, want string }{
		{callerID, "help", "pulls people onto the team's Plivo conference call"},
		{callerID, "<@" + slacktest.BotUserID + "> whoami", "+1•••0199"},
		{callerID, "bob", "`bob` is not a number"},
		{callerID, "register +44 20 7946 0123", "Registered"},
		{callerID, "unregister", "removed"},
		// A refusal by the service, too, is a message in the DM.
		{nobodyID, "+14155550100", "I don't know your own phone number"},
	} {
		if got := answerIn(h, tt.user, tt.text); !strings.Contains(got.Text, tt.want) || got.Channel != slacktest.DMChannelID(tt.user) {
			t.Errorf("%q: answer %+v, want %q", tt.text, got, tt.want)
		}
	}
	if e, r := h.slack.Ephemerals(), h.slack.Responses(); len(e)+len(r) != 0 {
		t.Errorf("private answers outside the DM: %+v %+v", e, r)
	}
	if n := len(h.phlo.Requests()); n != 0 {
		t.Errorf("%d PHLO requests", n)
	}
}

func TestDirectMessagesTheBotMustNotAnswer(t *testing.T) {
	h := newHarness(t)
	dm := slacktest.DMChannelID(callerID)
	base := map[string]any{"type": "message", "channel": dm, "channel_type": "im", "team": slacktest.TeamID}
	with := func(fields map[string]any) map[string]any {
		ev := map[string]any{}
		for k, v := range base {
			ev[k] = v
		}
		for k, v := range fields {
			ev[k] = v
		}
		return ev
	}
	for _, ev := range []map[string]any{
		// The bot's own answer, as Slack echoes it.
		with(map[string]any{"user": slacktest.BotUserID, "bot_id": slacktest.BotID, "text": "+14155550100", "ts": "1764000000.000100"}),
		// Another bot.
		with(map[string]any{"subtype": "bot_message", "bot_id": "B0OTHER", "text": "+14155550100", "ts": "1764000000.000200"}),
		// An edit and a deletion of a person's message.
		with(map[string]any{"subtype": "message_changed", "ts": "1764000000.000300", "hidden": true,
			"message": map[string]any{"type": "message", "user": callerID, "text": "+14155550100", "ts": "1764000000.000050"}}),
		with(map[string]any{"subtype": "message_deleted", "ts": "1764000000.000400", "hidden": true, "deleted_ts": "1764000000.000050"}),
	} {
		env, err := h.slack.SendEvent(ev)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.slack.WaitAck(h.ctx(), env); err != nil {
			t.Fatalf("no ack for %v: %v", ev, err)
		}
	}
	h.idle()
	if m, e, r := h.slack.Messages(), h.slack.Ephemerals(), h.slack.Responses(); len(m)+len(e)+len(r) != 0 {
		t.Errorf("the bot answered: %+v %+v %+v", m, e, r)
	}
	if n := len(h.phlo.Requests()); n != 0 {
		t.Errorf("%d PHLO requests", n)
	}
}
