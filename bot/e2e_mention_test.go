package bot_test

import (
	"strings"
	"testing"

	"github.com/mpc-bot/mpc-bot/bot/slacktest"
)

// TestMentionCommandsAnswerOnceDespiteRedelivery: every command by mention
// is claimed before any work, so three deliveries answer once.
func TestMentionCommandsAnswerOnceDespiteRedelivery(t *testing.T) {
	h := newHarness(t)
	ev := mentionEvent("Ev0WHOAMI", "<@"+slacktest.BotUserID+"> whoami", "1700000000.000300", "")
	for i := range 3 {
		if err := h.slack.Send(slacktest.Envelope{Type: "events_api", Payload: ev, RetryAttempt: i}); err != nil {
			t.Fatal(err)
		}
	}
	h.waitFor("three acks", func() bool { return h.slack.AckCount() >= 3 })
	h.idle()
	n := 0
	for _, e := range h.slack.Ephemerals() {
		if strings.Contains(e.Text, "Calls you start come from") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("whoami delivered three times answered %d times", n)
	}
}

// TestFallbackTextIsEscaped: the note in an announcement's notification
// text cannot be read as markup.
func TestFallbackTextIsEscaped(t *testing.T) {
	h := newHarness(t)
	addIncidentThread(h)
	h.command(callerID, publicChan, "")
	_, v := openedView(h)
	submit(h, callerID, v, nil, "+14155550100", "agent", "<now> & fast <!channel>")
	parent, _ := h.waitThread(publicChan)
	if strings.Contains(parent.Text, "<now>") || strings.Contains(parent.Text, "<!channel>") || !strings.Contains(parent.Text, "&lt;now&gt; &amp; fast &lt;!channel&gt;") {
		t.Errorf("announcement text %q", parent.Text)
	}
}
