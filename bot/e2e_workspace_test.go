package bot_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/mpc-bot/mpc-bot/bot"
	"github.com/mpc-bot/mpc-bot/bot/slacktest"
)

// TestProfileLookupsAreCachedPerTeamAndShared: a burst of look-ups of one
// person costs Slack one users.info call, and another workspace's answer
// is its own.
func TestProfileLookupsAreCachedPerTeamAndShared(t *testing.T) {
	fs := slacktest.NewServer(slacktest.WithAPILatency(50 * time.Millisecond))
	defer fs.Close()
	fs.AddUser(slacktest.User{ID: "U0PAT", Name: "pat", Phone: "+1 415 555 0100"})
	api := slack.New(slacktest.BotToken, slack.OptionAPIURL(fs.APIURL()))
	now := time.Now()
	ws := bot.NewWorkspace(api, func() time.Time { return now })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if p, err := ws.Profile(ctx, "T1", "U0PAT"); err != nil || p.Phone != "+1 415 555 0100" {
				t.Errorf("profile %+v, %v", p, err)
			}
		})
	}
	wg.Wait()
	if n := fs.CallCount("users.info"); n != 1 {
		t.Errorf("20 concurrent look-ups made %d users.info calls, want 1", n)
	}
	if _, err := ws.Profile(ctx, "T2", "U0PAT"); err != nil {
		t.Fatal(err)
	}
	if n := fs.CallCount("users.info"); n != 2 {
		t.Errorf("another workspace's look-up was answered from the first's cache (%d calls)", n)
	}
	// Expired answers are asked again.
	now = now.Add(2 * time.Minute)
	if _, err := ws.Profile(ctx, "T1", "U0PAT"); err != nil {
		t.Fatal(err)
	}
	if n := fs.CallCount("users.info"); n != 3 {
		t.Errorf("an expired answer was reused (%d calls)", n)
	}
}

// TestEnterpriseGridUserRegistersOnce: an org-wide user (W…) who
// registered in one workspace of the organisation places calls from that
// number in every other.
func TestEnterpriseGridUserRegistersOnce(t *testing.T) {
	h := newHarness(t)
	const orgUser = "W0ORGUSER"
	h.slack.AddUser(slacktest.User{ID: orgUser, Name: "olga"})
	send := func(team, text string) (slacktest.Ack, string) {
		env, url, _, err := h.slack.SendSlashCommand(slacktest.SlashCommand{Text: text, UserID: orgUser, ChannelID: publicChan, TeamID: team, EnterpriseID: "E0ORG"})
		if err != nil {
			t.Fatal(err)
		}
		ack, err := h.slack.WaitAck(h.ctx(), env)
		if err != nil {
			t.Fatal(err)
		}
		return ack, url
	}
	if ack, _ := send("T0FIRST", "register +1 415 555 0166"); !strings.Contains(ackText(t, ack), "Registered") {
		t.Fatalf("register: %q", ackText(t, ack))
	}
	if ack, _ := send("T0SECOND", "whoami"); !strings.Contains(ackText(t, ack), "registered with") {
		t.Errorf("whoami in another workspace of the org: %q", ackText(t, ack))
	}
	send("T0SECOND", "+14155550100")
	h.idle()
	if r := h.phlo.Requests(); len(r) != 1 || r[0].TriggerSource != "+14155550166" {
		t.Errorf("PHLO %+v", r)
	}
}

// TestSlackConnectPeopleAreToldHowToTakePart: someone from another
// organisation in a shared channel has no profile the bot can read; they
// and the people who mention them are told what to do, never a Slack API
// code.
func TestSlackConnectPeopleAreToldHowToTakePart(t *testing.T) {
	h := newHarness(t)
	h.slack.AddUser(slacktest.User{ID: "U0GUEST", Name: "guest", External: true})
	got := privateAnswer(h, "U0GUEST", "+14155550100")
	if !strings.Contains(got, "from another organisation (Slack Connect)") || !strings.Contains(got, "/mpc-add register") || strings.Contains(got, "user_not_found") {
		t.Errorf("the guest was told %q", got)
	}
	got = privateAnswer(h, callerID, "<@U0GUEST>")
	if !strings.Contains(got, "<@U0GUEST>: they are from another organisation") || strings.Contains(got, "user_not_found") {
		t.Errorf("the caller was told %q", got)
	}
	// Once registered, the guest can take part.
	privateAnswer(h, "U0GUEST", "register +1 415 555 0155")
	h.command("U0GUEST", publicChan, "+14155550100")
	h.idle()
	if r := h.phlo.Requests(); len(r) != 1 || r[0].TriggerSource != "+14155550155" {
		t.Errorf("PHLO %+v", r)
	}
}
