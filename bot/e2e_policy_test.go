package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/mpc-bot/mpc-bot/bot/slacktest"
	"github.com/mpc-bot/mpc-bot/conference"
	"github.com/mpc-bot/mpc-bot/conference/conferencetest"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
	"github.com/mpc-bot/mpc-bot/store"
	"github.com/mpc-bot/mpc-bot/store/storetest"
)

// privateAnswer sends a command and returns the first private answer: in
// the ack itself (answers to commands that only answer), or through the
// response URL (what a request ran into).
func privateAnswer(h *harness, user, text string) string {
	h.t.Helper()
	ack, responseURL := h.command(user, publicChan, text)
	if txt := ackText(h.t.(*testing.T), ack); txt != "" {
		return txt
	}
	h.waitFor("a private answer to "+text, func() bool { return len(responsesTo(h, responseURL)) > 0 })
	return responsesTo(h, responseURL)[0].Text
}

func TestRegisterWhoamiUnregister(t *testing.T) {
	h := newHarness(t)
	// The caller is in the directory file; registering takes precedence.
	if got := privateAnswer(h, callerID, "whoami"); !strings.Contains(got, "+1•••0199") || !strings.Contains(got, "directory file") {
		t.Errorf("whoami before register: %q", got)
	}
	if got := privateAnswer(h, callerID, "register +44 20 7946 0123"); !strings.Contains(got, "Registered: calls you start with `/mpc-add` now come from +442079460123") {
		t.Errorf("register: %q", got)
	}
	if got := privateAnswer(h, callerID, "whoami"); !strings.Contains(got, "+44•••0123") || !strings.Contains(got, "registered with `/mpc-add register`") {
		t.Errorf("whoami after register: %q", got)
	}
	h.command(callerID, publicChan, "+14155550100")
	h.waitThread(publicChan)
	if r := h.phlo.Requests()[0]; r.TriggerSource != "+442079460123" {
		t.Errorf("trigger_source = %q, want the registered number", r.TriggerSource)
	}
	if got := privateAnswer(h, callerID, "unregister"); !strings.Contains(got, "removed") {
		t.Errorf("unregister: %q", got)
	}
	if got := privateAnswer(h, callerID, "unregister"); !strings.Contains(got, "You had no registered number") {
		t.Errorf("second unregister: %q", got)
	}
	// Someone with no number anywhere can register and then dial.
	if got := privateAnswer(h, nobodyID, "whoami"); !strings.Contains(got, "I don't know your own phone number") {
		t.Errorf("whoami of nobody: %q", got)
	}
	privateAnswer(h, nobodyID, "register sip:nobody@example.sip.plivo.com")
	if got := privateAnswer(h, nobodyID, "whoami"); !strings.Contains(got, "sip:no•••@example.sip.plivo.com") {
		t.Errorf("whoami after SIP register: %q", got)
	}
}

func TestHistoryMasksNumbers(t *testing.T) {
	h := newHarness(t)
	h.command(callerID, publicChan, "+14155550100 customer")
	h.waitThread(publicChan)
	h.phlo.Enqueue(phloResponse(401))
	h.command(callerID, publicChan, "<@"+aliceID+">")
	h.waitFor("two replies", func() bool { _, r := h.thread(publicChan); return len(r) == 2 })
	got := privateAnswer(h, callerID, "history")
	for _, want := range []string{"Recent adds and actions in this channel", "<@" + callerID + "> added +1•••0100 as customer: accepted, api_id", "<@" + callerID + "> added <@" + aliceID + "> as agent: failed: Plivo rejected mpc-bot's credentials (HTTP 401)"} {
		if !strings.Contains(got, want) {
			t.Errorf("history lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "4155550100") {
		t.Errorf("history shows a full number:\n%s", got)
	}
	adds, err := h.store.Entries(context.Background(), conference.EntryQuery{Team: slacktest.TeamID, Channel: publicChan, Limit: 10})
	if err != nil || len(adds) != 2 {
		t.Fatalf("audit trail: %v, %v", adds, err)
	}
	a := adds[1]
	if a.To != "+14155550100" || a.Role != "customer" || a.TriggerSource != callerNumber || a.Status != conference.StatusAccepted || a.APIID == "" || a.Finished.IsZero() {
		t.Errorf("audit row %+v", a)
	}
}

func TestNumbersAreMaskedInChannelsByDefault(t *testing.T) {
	h := newHarness(t, func(s *setup) { s.Bot.ShowNumbers = false })
	h.command(callerID, publicChan, "+14155550100")
	parent, reply := h.waitThread(publicChan)
	for _, m := range []string{parent.Text, reply.Text, string(parent.Blocks), string(reply.Blocks)} {
		if strings.Contains(m, "4155550100") || !strings.Contains(m, "+1•••0100") {
			t.Errorf("channel message not masked: %s", m)
		}
	}
	if r := h.phlo.Requests()[0]; r.To != "+14155550100" {
		t.Errorf("PHLO got %q; masking must not touch the request", r.To)
	}
}

func TestPermissionDenials(t *testing.T) {
	pol, err := conference.NewPolicy(conference.PolicyConfig{
		Channels:     []string{publicChan},
		Users:        []string{callerID},
		UserGroups:   []string{"S0SRE"},
		Destinations: []string{"+1", "example.sip.plivo.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(s *setup) { s.Service.Policy = pol })
	h.slack.AddUser(slacktest.User{ID: "U0SRE", Name: "sre", Phone: "+1 415 555 0177"})
	h.slack.AddUserGroup("S0SRE", "sre", "U0SRE")
	h.slack.AddChannel(slacktest.Channel{ID: "C0RANDOM", Name: "random", BotIsMember: true})

	_, url := h.command(callerID, "C0RANDOM", "+14155550100")
	h.waitFor("a denial", func() bool { return len(responsesTo(h, url)) > 0 })
	if got := responsesTo(h, url)[0].Text; !strings.Contains(got, "not enabled in this channel") {
		t.Errorf("channel denial: %q", got)
	}
	if got := privateAnswer(h, profileUserID, "+14155550100"); !strings.Contains(got, "You may not do this") || !strings.Contains(got, "MPC_ALLOWED_USERGROUPS") {
		t.Errorf("user denial: %q", got)
	}
	// A member of the allowed group may; a +44 number and a premium-rate
	// number are refused, the +1 number still dialled.
	h.command("U0SRE", publicChan, "+14155550100 +442079460055 +19005550100")
	h.waitThread(publicChan)
	parent, _ := h.thread(publicChan)
	if !strings.Contains(parent.Text, "Not dialled: +442079460055: not allowed by `MPC_ALLOWED_DESTINATIONS` (allowed: +1, example.sip.plivo.com)") || !strings.Contains(parent.Text, "+19005550100: a premium-rate number, which mpc-bot never dials") {
		t.Errorf("announcement %q does not list the refused destinations", parent.Text)
	}
	reqs := h.phlo.Requests()
	if len(reqs) != 1 || reqs[0].To != "+14155550100" || reqs[0].TriggerSource != "+14155550177" {
		t.Errorf("PHLO requests %+v", reqs)
	}
	h.idle()
	adds, err := h.store.Entries(context.Background(), conference.EntryQuery{Team: slacktest.TeamID, Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	denied := 0
	for _, a := range adds {
		if a.Status == conference.StatusDenied {
			denied++
		}
	}
	if denied != 4 {
		t.Errorf("%d denials audited, want 4 (channel, user, two destinations): %+v", denied, adds)
	}
}

func TestRateLimitQueuesABurst(t *testing.T) {
	// 30 a minute: after a burst of 20, one more dial waits up to 2 s, and
	// the bucket cannot refill while the first request runs unless it
	// takes that long.
	// The service's clock moves only when told, so the wait is exactly 2 s
	// and the bucket refills only when the test says.
	clock := conferencetest.NewClock(time.Now())
	h := newHarness(t, func(s *setup) { s.Service.DialsPerMinute = 30; s.Service.Clock = clock })
	var many []string
	for i := range 20 {
		many = append(many, "+1415555"+string(rune('0'+i/10))+string(rune('0'+i%10))+"00")
	}
	h.command(callerID, publicChan, strings.Join(many, " "))
	h.waitFor("20 replies", func() bool { _, r := h.thread(publicChan); return len(r) == 20 })
	got := privateAnswer(h, callerID, "+14155559999")
	if !strings.Contains(got, "so this request waits") {
		t.Errorf("rate-limited add was told %q", got)
	}
	clock.Advance(2 * time.Second)
	h.waitFor("the queued add", func() bool { return len(h.phlo.Requests()) == 21 })
}

// TestReplicasSharingADatabaseDialOnce runs two bots on one database and
// one fake Slack, and delivers the same envelope to each: one dials.
func TestReplicasSharingADatabaseDialOnce(t *testing.T) {
	run := func(t *testing.T, cfg store.Config) {
		h, b2, svc2 := twoReplicas(t, cfg)

		// The first delivery goes to one replica, the re-delivery (round
		// robin) to the other.
		env, _, _, err := h.slack.SendSlashCommand(slacktest.SlashCommand{Text: "+14155550100", UserID: callerID, ChannelID: publicChan})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.slack.Redeliver(env, 1); err != nil {
			t.Fatal(err)
		}
		h.waitFor("both acks", func() bool { return h.slack.AckCount() >= 2 })
		h.waitThread(publicChan)
		h.idle()
		h.idleOf(b2, svc2)
		if n := len(h.phlo.Requests()); n != 1 {
			t.Errorf("two replicas made %d PHLO requests for one envelope", n)
		}
		if n := len(h.slack.Messages()); n != 2 {
			t.Errorf("%d channel messages, want one announcement and one reply", n)
		}
	}
	storetest.ForEachBackend(t, run)
}

func phloResponse(status int) phlotest.Response {
	return phlotest.Response{Status: status, Body: `{"api_id":"x","error":"refused"}`}
}
