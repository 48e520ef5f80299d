package bot_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/bot/slacktest"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

func TestAddNumberEachRole(t *testing.T) {
	for _, tt := range []struct {
		text, role string
	}{
		{"+14155550100", "agent"},
		{"+14155550100 agent", "agent"},
		{"+1 (415) 555-0100 customer", "customer"},
	} {
		t.Run(tt.text, func(t *testing.T) {
			h := newHarness(t)
			ack, _ := h.command(callerID, publicChan, tt.text)
			if txt := ackText(t, ack); txt != "" {
				t.Errorf("ack carries a message %q; want a bare ack", txt)
			}
			parent, reply := h.waitThread(publicChan)

			reqs := h.phlo.Requests()
			if len(reqs) != 1 {
				t.Fatalf("PHLO got %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Action != "call" || r.To != "+14155550100" || r.Role != tt.role || r.TriggerSource != callerNumber || !r.AuthOK {
				t.Errorf("PHLO request = %+v", r)
			}
			if r.PhloID != phlotest.DefaultPhloID || r.NodeID != phlotest.DefaultNodeID {
				t.Errorf("PHLO path = %s", r.Path)
			}
			if !strings.Contains(parent.Text, "<@"+callerID+"> is adding +14155550100 to the call as "+tt.role) {
				t.Errorf("channel message = %q", parent.Text)
			}
			if !strings.Contains(reply.Text, "Plivo is dialling +14155550100") || !strings.Contains(reply.Text, r.APIID) || r.APIID == "" {
				t.Errorf("thread reply = %q, want the api_id %q", reply.Text, r.APIID)
			}
		})
	}
}

func TestAddSIPAndMentions(t *testing.T) {
	h := newHarness(t)
	h.command(callerID, publicChan, "sip:bob@example.sip.plivo.com customer")
	h.waitThread(publicChan)
	if r := h.phlo.Requests()[0]; r.To != "sip:bob@example.sip.plivo.com" || r.Role != "customer" {
		t.Errorf("SIP add sent %+v", r)
	}

	// A mention is resolved through the directory (alice) or the profile (pat).
	h.command(callerID, publicChan, "<@"+aliceID+"|alice>")
	h.command(callerID, publicChan, "<@"+profileUserID+"|pat> customer")
	h.waitFor("three replies", func() bool { _, r := h.thread(publicChan); return len(r) == 3 })
	got := map[string]string{}
	for _, r := range h.phlo.Requests() {
		got[r.To] = r.Role
	}
	if got["sip:alice@example.sip.plivo.com"] != "agent" || got[profileNumber] != "customer" {
		t.Errorf("mention adds sent %v", got)
	}
	for _, m := range h.slack.Messages() {
		if strings.Contains(m.Text, "alice@") || strings.Contains(m.Text, "7946") {
			t.Errorf("a mentioned person's own number is shown in the channel: %q", m.Text)
		}
	}
}

func TestCallerNumberFromSlackProfile(t *testing.T) {
	h := newHarness(t)
	h.command(profileUserID, publicChan, "+14155550100")
	h.waitThread(publicChan)
	if r := h.phlo.Requests()[0]; r.TriggerSource != profileNumber {
		t.Errorf("trigger_source = %q, want the profile's %q", r.TriggerSource, profileNumber)
	}
}

func TestBadInputIsRefusedInTheAck(t *testing.T) {
	h := newHarness(t)
	for _, tt := range []struct{ text, want string }{
		{"+1415", "is not a number or SIP address I can dial: too short"},
		{"+14155550100 boss", "`boss` is not a role"},
		{"+14155550100 please call", "I did not expect `please`"},
		{"+14155550100 agent now", "goes last"},
		{"alice", "is not a number or SIP address"},
		{strings.Repeat("9", 1100), "too long"},
		{strings.Repeat("9", 300), "longer than 256 characters"},
		{"+1415\x07555", "control characters"},
		{"sip:nobody", "needs a user and a host"},
	} {
		ack, _ := h.command(callerID, publicChan, tt.text)
		if txt := ackText(t, ack); !strings.Contains(txt, tt.want) {
			t.Errorf("%q: ack says %q, want %q", tt.text, txt, tt.want)
		}
	}
	ack, _ := h.command(callerID, publicChan, "help")
	if txt := ackText(t, ack); !strings.Contains(txt, "/mpc-add +14155550100") {
		t.Errorf("help says %q", txt)
	}
	h.idle()
	if n := len(h.phlo.Requests()); n != 0 {
		t.Errorf("bad input caused %d PHLO requests", n)
	}
	if n := len(h.slack.Messages()); n != 0 {
		t.Errorf("bad input caused %d channel messages", n)
	}
}

func TestUnmappedCallerIsToldHowToGetMapped(t *testing.T) {
	h := newHarness(t)
	for _, tt := range []struct{ user, want string }{
		{nobodyID, "register it with `/mpc-add register +14155550100`"},
		{badPhoneID, "The phone number in your Slack profile cannot be used"},
	} {
		_, responseURL := h.command(tt.user, publicChan, "+14155550100")
		h.waitFor("a private answer", func() bool { return len(responsesTo(h, responseURL)) > 0 })
		r := responsesTo(h, responseURL)[0]
		if r.ResponseType != "ephemeral" || !strings.Contains(r.Text, tt.want) || !strings.Contains(r.Text, tt.user+`: "+1…"`) {
			t.Errorf("%s was told %q", tt.user, r.Text)
		}
	}
	_, responseURL := h.command(callerID, publicChan, "<@"+nobodyID+">")
	h.waitFor("a private answer", func() bool { return len(responsesTo(h, responseURL)) > 0 })
	if r := responsesTo(h, responseURL)[0]; !strings.Contains(r.Text, "Nothing was done: <@"+nobodyID+">: no number registered, in the directory file or in their Slack profile") {
		t.Errorf("mention of an unmapped person: told %q", r.Text)
	}
	h.idle()
	if n := len(h.phlo.Requests()); n != 0 {
		t.Errorf("unmapped people caused %d PHLO requests", n)
	}
	if n := len(h.slack.Messages()); n != 0 {
		t.Errorf("unmapped people caused %d channel messages", n)
	}
}

func responsesTo(h *harness, url string) []slacktest.Response {
	var out []slacktest.Response
	for _, r := range h.slack.Responses() {
		if r.URL == url {
			out = append(out, r)
		}
	}
	return out
}

func TestPHLOFailuresAreExplainedOnce(t *testing.T) {
	for _, tt := range []struct {
		name   string
		tune   func(*setup)
		status int
		delay  time.Duration
		want   string
	}{
		{name: "401", tune: func(s *setup) { s.PHLO.AuthToken = "wrong-token" }, want: "Plivo rejected mpc-bot's credentials (HTTP 401)"},
		{name: "404", status: http.StatusNotFound, want: "Plivo does not know this PHLO"},
		{name: "500", status: http.StatusInternalServerError, want: "may or may not be dialled: Plivo had an internal error (HTTP 500)"},
		{name: "timeout", delay: 5 * time.Second, want: "may or may not be dialled: Plivo did not answer in time"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var tune []func(*setup)
			if tt.tune != nil {
				tune = append(tune, tt.tune)
			}
			if tt.delay > 0 {
				// Short, but long enough for the request to be sent on a
				// loaded machine: the fake answers only after tt.delay.
				tune = append(tune, func(s *setup) { s.PHLO.Timeout = time.Second })
			}
			h := newHarness(t, tune...)
			if tt.status != 0 || tt.delay != 0 {
				h.phlo.Enqueue(phlotest.Response{Status: tt.status, Body: `{"api_id":"x","error":"internal"}`, Delay: tt.delay})
			}
			h.command(callerID, publicChan, "+14155550100")
			_, reply := h.waitThread(publicChan)
			if !strings.Contains(reply.Text, tt.want) {
				t.Errorf("thread reply = %q, want %q", reply.Text, tt.want)
			}
			h.idle()
			if n := len(h.phlo.Requests()); n != 1 {
				t.Errorf("PHLO got %d requests, want exactly 1", n)
			}
		})
	}
}

func TestRateLimitedPHLOIsRetried(t *testing.T) {
	h := newHarness(t)
	h.phlo.Enqueue(phlotest.Response{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"0"}}})
	h.command(callerID, publicChan, "+14155550100")
	_, reply := h.waitThread(publicChan)
	reqs := h.phlo.Requests()
	if len(reqs) != 2 || !strings.Contains(reply.Text, reqs[1].APIID) {
		t.Errorf("after a 429: %d requests, reply %q", len(reqs), reply.Text)
	}
}

func TestPrivateChannelGetsTheOutcomeThroughResponseURL(t *testing.T) {
	h := newHarness(t)
	_, responseURL := h.command(callerID, privateChan, "+14155550100")
	h.waitFor("a private answer", func() bool { return len(responsesTo(h, responseURL)) > 0 })
	r := responsesTo(h, responseURL)[0]
	apiID := h.phlo.Requests()[0].APIID
	if !strings.Contains(r.Text, "is adding +14155550100") || !strings.Contains(r.Text, apiID) {
		t.Errorf("private answer = %q, want the add and api_id %s", r.Text, apiID)
	}
	if n := len(h.slack.Messages()); n != 0 {
		t.Errorf("%d messages were posted although the bot is not in the channel", n)
	}
}

func TestRedeliveredEnvelopeDialsOnce(t *testing.T) {
	h := newHarness(t)
	env, _, _, err := h.slack.SendSlashCommand(slacktest.SlashCommand{Text: "+14155550100", UserID: callerID, ChannelID: publicChan})
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt <= 2; attempt++ {
		if err := h.slack.Redeliver(env, attempt); err != nil {
			t.Fatal(err)
		}
	}
	h.waitFor("three acks", func() bool { return h.slack.AckCount() >= 3 })
	h.waitThread(publicChan)
	h.idle()
	if n := len(h.phlo.Requests()); n != 1 {
		t.Errorf("a thrice-delivered envelope made %d PHLO requests", n)
	}
}

func TestReconnectsAfterDisconnectAndDrop(t *testing.T) {
	h := newHarness(t)
	h.slack.Disconnect("refresh_requested")
	h.waitFor("a second connection", func() bool { return h.slack.ConnectionsOpened() >= 2 && h.slack.OpenConnections() == 1 })
	h.command(callerID, publicChan, "+14155550100")
	h.waitThread(publicChan)

	h.slack.DropConnections()
	h.waitFor("a third connection", func() bool { return h.slack.ConnectionsOpened() >= 3 && h.slack.OpenConnections() == 1 })
	h.command(callerID, publicChan, "+14155550101 customer")
	h.waitFor("the second reply", func() bool { _, r := h.thread(publicChan); return len(r) == 2 })
	if n := len(h.phlo.Requests()); n != 2 {
		t.Errorf("PHLO got %d requests, want 2", n)
	}
}

func TestShutdownFinishesAddInFlight(t *testing.T) {
	h := newHarness(t)
	h.phlo.Enqueue(phlotest.Response{Status: http.StatusCreated, Body: `{"api_id":"slow-api-id","error":""}`, Delay: 700 * time.Millisecond})
	h.command(callerID, publicChan, "+14155550100")
	if err := h.phlo.Wait(h.ctx(), 1); err != nil {
		t.Fatal(err)
	}
	if err := h.shutdown(); err != nil {
		t.Fatalf("Run returned %v after shutdown, want nil", err)
	}
	// Run has returned, so the add must be complete: no waiting here.
	_, replies := h.thread(publicChan)
	if len(replies) != 1 || !strings.Contains(replies[0].Text, "slow-api-id") {
		t.Fatalf("after shutdown, replies = %+v", replies)
	}
	// Envelopes after shutdown are not taken: the socket closes (the
	// fake learns of it a moment later).
	h.waitFor("the socket to close", func() bool { return h.slack.OpenConnections() == 0 })
}

func TestShutdownTimeoutCancelsStragglers(t *testing.T) {
	h := newHarness(t, func(s *setup) {
		s.Service.ShutdownTimeout = 200 * time.Millisecond
		s.PHLO.Timeout = 30 * time.Second
	})
	h.phlo.Enqueue(phlotest.Response{Status: http.StatusCreated, Delay: 20 * time.Second})
	h.command(callerID, publicChan, "+14155550100")
	if err := h.phlo.Wait(h.ctx(), 1); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := h.shutdown(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("shutdown took %s", d)
	}
	_, replies := h.thread(publicChan)
	if len(replies) != 1 || !strings.Contains(replies[0].Text, "mpc-bot stopped before Plivo answered") {
		t.Fatalf("straggler replies = %+v", replies)
	}
}

func TestBurstIsQueuedNotDropped(t *testing.T) {
	// One request is prepared at a time, and the first one's profile
	// look-up is held, so the others queue; five may wait in all.
	h := newHarness(t, func(s *setup) { s.Service.MaxPreparing = 1; s.Service.MaxQueued = 5 })
	release := h.slack.HoldAPI()
	var texts []string
	for range 6 {
		ack, _ := h.command(callerID, publicChan, "<@"+profileUserID+">")
		texts = append(texts, ackText(t, ack))
	}
	if !strings.Contains(texts[1], "number 1 in line") || !strings.Contains(texts[4], "number 4 in line") {
		t.Errorf("queued acks say %q", texts)
	}
	if !strings.Contains(texts[5], "already has 5 requests waiting") {
		t.Errorf("the sixth add was told %q, want a busy message", texts[5])
	}
	release()
	h.waitFor("five replies", func() bool { _, r := h.thread(publicChan); return len(r) == 5 })
	h.idle()
	if n := len(h.phlo.Requests()); n != 5 {
		t.Errorf("PHLO got %d requests, want 5", n)
	}
}

func TestAckPayloadsAreValidJSON(t *testing.T) {
	h := newHarness(t)
	ack, _ := h.command(callerID, publicChan, "help")
	var p map[string]any
	if err := json.Unmarshal(ack.Payload, &p); err != nil || p["blocks"] == nil {
		t.Fatalf("help ack payload %s: %v", ack.Payload, err)
	}
}
