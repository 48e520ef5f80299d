package bot_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/bot/slacktest"
	"github.com/mpc-bot/mpc-bot/conference"
	"github.com/mpc-bot/mpc-bot/conference/conferencetest"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

// The golden files in testdata/ are what people see, as the bot sent it
// to the fake Slack on the real code path, so a reviewer reads each
// message's exact Block Kit and a change shows in the diff.

// ackGolden pins the answer a command got in its ack.
func ackGolden(t *testing.T, h *harness, name, user, text string) {
	t.Helper()
	ack, _ := h.command(user, publicChan, text)
	if len(ack.Payload) == 0 {
		t.Fatalf("%s: %q got a bare ack", name, text)
	}
	golden(t, name, ack.Payload)
}

// responseGolden pins the first private answer a command got through its
// response URL.
func responseGolden(t *testing.T, h *harness, name, user, channel, text string) {
	t.Helper()
	_, url := h.command(user, channel, text)
	h.waitFor("a private answer to "+text, func() bool { return len(responsesTo(h, url)) > 0 })
	r := responsesTo(h, url)[0]
	golden(t, name, messageJSON(r.Text, r.Blocks))
}

// messageWith returns the channel message whose text contains s.
func messageWith(t *testing.T, h *harness, s string) slacktest.Message {
	t.Helper()
	for _, m := range h.slack.Messages() {
		if strings.Contains(m.Text, s) {
			return m
		}
	}
	t.Fatalf("no message contains %q: %+v", s, h.slack.Messages())
	return slacktest.Message{}
}

func TestGoldenAnswers(t *testing.T) {
	h := newHarness(t, func(s *setup) { s.Bridges = []conference.Bridge{dbsBridge()} })
	ackGolden(t, h, "help", callerID, "help")
	ackGolden(t, h, "usage_error", callerID, "+14155550100 manager")
	ackGolden(t, h, "usage_two_roles", callerID, "+14155550100 agent customer")
	ackGolden(t, h, "whoami", callerID, "whoami")
	ackGolden(t, h, "registered", nobodyID, "register +1 415 555 0100 ext. 9")
	ackGolden(t, h, "register_premium", nobodyID, "register +1 900 555 0123")
	ackGolden(t, h, "unregistered", nobodyID, "unregister")
	ackGolden(t, h, "bridge", callerID, "bridge")
	ackGolden(t, h, "bridge_bound", callerID, "bridge dbs")
	ackGolden(t, h, "unknown_command_word", callerID, "bridge nope")
	responseGolden(t, h, "unknown_bridge", callerID, publicChan, "+14155550100 on nope")
	responseGolden(t, h, "caller_unknown", nobodyID, publicChan, "+14155550100")
	responseGolden(t, h, "caller_bad_phone", badPhoneID, publicChan, "+14155550100")
	h.slack.AddUser(slacktest.User{ID: "U0GUEST", Name: "guest", External: true})
	responseGolden(t, h, "caller_external", "U0GUEST", publicChan, "+14155550100")
	responseGolden(t, h, "nobody_to_dial", callerID, publicChan, "+1 900 555 0123 <@"+nobodyID+"> <@U0GUEST>")
	responseGolden(t, h, "not_on_roster", callerID, publicChan, "hold <@"+nobodyID+">")
	var many []string
	for i := range 21 {
		many = append(many, "+1212555"+strings.Repeat("0", 2)+string(rune('0'+i/10))+string(rune('0'+i%10)))
	}
	ackGolden(t, h, "too_many", callerID, strings.Join(many, " "))
	h.idle()
	ackGolden(t, h, "roster_empty", callerID, "roster")
}

func TestGoldenAddAndSteer(t *testing.T) {
	h := newHarness(t)
	addIncidentThread(h)
	h.command(callerID, publicChan, "")
	_, v := openedView(h)
	golden(t, "modal", h.slack.Views()[0].View)
	submit(h, callerID, v, []string{aliceID, "U0DBA1"}, "+1 415 555 0100", "customer", "Primary DB is failing over.\nWe need a DBA <now> & fast")
	h.waitFor("three replies", func() bool { _, r := h.thread(publicChan); return len(r) == 3 })
	h.idle()
	parent, _ := h.thread(publicChan)
	golden(t, "announce_form", messageJSON(parent.Text, parent.Blocks))
	h.command(callerID, publicChan, "<!subteam^"+dbaGroupID+"|@oncall-dbs> +1 900 555 0123")
	h.idle()
	golden(t, "announce_not_dialled", messageJSONOf(messageWith(t, h, "Not dialled")))
	dialled := messageWith(t, h, "Plivo is dialling <@"+aliceID+">")
	golden(t, "outcome_dialled", messageJSON(dialled.Text, dialled.Blocks))

	press(h, callerID, publicChan, dialled, buttonsOf(t, dialled.Blocks)["mpc_hold"])
	h.idle()
	up := lastUpdate(h)
	golden(t, "pressed_hold", messageJSON(up.Text, up.Blocks))
	dialled.Blocks = up.Blocks
	press(h, callerID, publicChan, dialled, buttonsOf(t, up.Blocks)["mpc_hangup"])
	h.idle()
	up = lastUpdate(h)
	golden(t, "pressed_hangup", messageJSON(up.Text, up.Blocks))

	h.phlo.Enqueue(phlotest.Response{Status: http.StatusUnauthorized, Body: `{"api_id":"x","error":"bad credentials"}`})
	h.command(callerID, publicChan, "+14155550101")
	h.idle()
	failed := messageWith(t, h, "Could not add +14155550101")
	golden(t, "outcome_failed", messageJSON(failed.Text, failed.Blocks))
	golden(t, "announce_number", messageJSONOf(messageWith(t, h, "is adding +14155550101")))
	press(h, profileUserID, publicChan, failed, buttonsOf(t, failed.Blocks)["mpc_retry"])
	h.idle()
	up = lastUpdate(h)
	golden(t, "outcome_retried", messageJSON(up.Text, up.Blocks))

	h.phlo.Enqueue(phlotest.Response{Status: http.StatusBadGateway, Body: `{"api_id":"x","error":"bad gateway"}`})
	h.command(callerID, publicChan, "+14155550102")
	h.idle()
	golden(t, "outcome_unknown", messageJSONOf(messageWith(t, h, "may or may not be dialled")))

	h.command(callerID, publicChan, "unhold <@"+aliceID+">")
	h.idle()
	golden(t, "announce_unhold", messageJSONOf(messageWith(t, h, "is taking <@"+aliceID+"> off hold")))
	golden(t, "outcome_unhold", messageJSONOf(messageWith(t, h, "is off hold")))
	h.command(callerID, publicChan, "transfer <@"+aliceID+">")
	h.command(callerID, publicChan, "abort-transfer")
	h.idle()
	golden(t, "announce_transfer", messageJSONOf(messageWith(t, h, "is transferring their caller")))
	golden(t, "outcome_transfer", messageJSONOf(messageWith(t, h, "Plivo is transferring the caller")))
	golden(t, "outcome_abort_transfer", messageJSONOf(messageWith(t, h, "The transfer was aborted")))

	// The outcome where the bot cannot post: privately, in one message.
	responseGolden(t, h, "outcome_private", callerID, privateChan, "<@"+aliceID+">")
}

// TestGoldenRosterAndHistory builds a channel's record one step at a time,
// so the order of its lines is the order of the steps.
func TestGoldenRosterAndHistory(t *testing.T) {
	h := newHarness(t)
	step := func(user, text string) {
		h.command(user, publicChan, text)
		h.idle()
	}
	step(callerID, "+14155550100 customer")
	step(callerID, "<@"+aliceID+">")
	h.phlo.Enqueue(phlotest.Response{Status: http.StatusUnauthorized, Body: `{"api_id":"x","error":"bad credentials"}`})
	step(callerID, "<@"+profileUserID+">")
	step(profileUserID, "hold <@"+aliceID+">")
	step(callerID, "hangup +14155550100")
	step(callerID, "+1 900 555 0123")
	ack, _ := h.command(callerID, publicChan, "roster")
	golden(t, "roster", ack.Payload)
	ack, _ = h.command(callerID, publicChan, "history")
	golden(t, "history", ack.Payload)
}

func TestGoldenWaitsAndInterruptions(t *testing.T) {
	// The service's clock stands still, so a wait for the person's limit
	// is exactly as long as the limit says, however slow the machine.
	clock := conferencetest.NewClock(time.Now())
	h := newHarness(t, func(s *setup) { s.Service.MaxPreparing = 1; s.Service.MaxQueued = 2; s.Service.Clock = clock })
	// The first request holds the one preparing slot (its profile look-up
	// waits on Slack) while the next two arrive: one queues, one is turned
	// away. Pat (whose number is in their profile) sends them, so that
	// what they dial leaves carol's limit whole for what follows.
	release := h.slack.HoldAPI()
	h.command(profileUserID, publicChan, "<@"+callerID+">")
	h.waitFor("the first request's look-up", func() bool { return h.slack.CallCount("users.info") > 0 })
	ackGolden(t, h, "queued", profileUserID, "<@"+callerID+">")
	ackGolden(t, h, "busy", profileUserID, "<@"+callerID+">")
	release()
	h.idle()

	var twenty []string
	for i := range 20 {
		twenty = append(twenty, "+1212555"+strings.Repeat("0", 2)+string(rune('0'+i/10))+string(rune('0'+i%10)))
	}
	h.command(callerID, publicChan, strings.Join(twenty, " "))
	h.idle()
	_, url := h.command(callerID, publicChan, "+14155550100")
	h.waitFor("the wait note", func() bool { return len(responsesTo(h, url)) > 0 })
	r := responsesTo(h, url)[0]
	golden(t, "rate_queued", messageJSON(r.Text, r.Blocks))
	// Stopping ends the waiting request at once, with a Retry.
	h.shutdown()
	var interrupted slacktest.Message
	for _, m := range h.slack.Messages() {
		if strings.Contains(m.Text, "restarting") {
			interrupted = m
		}
	}
	if interrupted.TS == "" {
		for _, r := range responsesTo(h, url) {
			if strings.Contains(r.Text, "restarting") {
				interrupted = slacktest.Message{Text: r.Text, Blocks: r.Blocks}
			}
		}
	}
	if interrupted.Text == "" {
		t.Fatalf("nobody was told of the restart: %+v %+v", h.slack.Messages(), h.slack.Responses())
	}
	golden(t, "interrupted_restart", messageJSON(interrupted.Text, interrupted.Blocks))
}

func messageJSONOf(m slacktest.Message) []byte { return messageJSON(m.Text, m.Blocks) }
