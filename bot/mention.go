package bot

import (
	"errors"
	"regexp"
	"strings"

	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// addVerb is the optional word after the bot's mention: "@mpc-bot add @alice".
var addVerb = regexp.MustCompile(`(?i)^add\b`)

// onMention handles "@mpc-bot add @alice agent": the same grammar as the
// slash command, answered in the thread the mention was made in (or a new
// thread under it), which is where incident talk happens.
func (b *Bot) onMention(smc *socketmode.Client, req *socketmode.Request, outer slackevents.EventsAPIEvent, ev *slackevents.AppMentionEvent) {
	b.ack(smc, req, nil)
	thread := threadOf(ev.ThreadTimeStamp, ev.TimeStamp)
	private := privateReply{channelID: ev.Channel, userID: ev.User, threadTS: thread}
	// Everything after the bot's own mention is the command.
	text := ev.Text
	if i := strings.Index(text, "<@"+b.botUserID+">"); i >= 0 {
		text = text[i+len("<@"+b.botUserID+">"):]
	}
	text = addVerb.ReplaceAllString(strings.TrimSpace(text), "")

	cmd, err := ParseCommand(text, b.region)
	key := "event:" + eventID(outer, req)
	if err == nil && cmd.Kind.account() {
		b.onAccountCommand(outer.TeamID, ev.Channel, ev.User, private, cmd)
		return
	}
	if err != nil || cmd.Kind != CommandAdd {
		answer := helpMessage(b.command, b.region)
		if err != nil {
			answer = usageMessage(asUsageError(err))
		}
		// Answered once, however often Slack re-delivers the mention.
		b.background(func() {
			if b.claim(b.work, key, b.log) {
				b.tellPrivately(b.work, private, answer, b.log)
			}
		})
		return
	}
	position, ok := b.admit()
	if !ok {
		b.background(func() { b.tellPrivately(b.work, private, busyMessage(position), b.log) })
		return
	}
	b.enqueue(addRequest{
		requestID: b.newReqID(),
		claimKey:  key,
		teamID:    outer.TeamID,
		channelID: ev.Channel,
		threadTS:  thread,
		callerID:  ev.User,
		private:   private,
		role:      cmd.Role,
		targets:   cmd.Targets,
	})
}

// eventID is the key that identifies an event across Slack's re-deliveries.
func eventID(outer slackevents.EventsAPIEvent, req *socketmode.Request) string {
	if cb, ok := outer.Data.(*slackevents.EventsAPICallbackEvent); ok && cb.EventID != "" {
		return cb.EventID
	}
	return req.EnvelopeID
}

// asUsageError is the UsageError ParseCommand returned; any other error is
// shown as it is, escaped.
func asUsageError(err error) *UsageError {
	var ue *UsageError
	if errors.As(err, &ue) {
		return ue
	}
	return &UsageError{Message: escape(err.Error())}
}

// threadOf is the thread a reply to a message belongs in: its own thread,
// or a new one under it.
func threadOf(threadTS, ts string) string {
	if threadTS != "" {
		return threadTS
	}
	return ts
}
