package bot

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/mpc-bot/mpc-bot/conference"
)

// addVerb is the optional word after the bot's mention: "@mpc-bot add @alice".
var addVerb = regexp.MustCompile(`(?i)^add\b`)

// onMention handles "@mpc-bot add @alice agent": the same grammar as the
// slash command, answered in the thread the mention was made in (or a new
// thread under it), which is where incident talk happens. Everything it
// does is once-only: Slack re-delivers events.
func (b *Bot) onMention(smc *socketmode.Client, env *socketmode.Request, outer slackevents.EventsAPIEvent, ev *slackevents.AppMentionEvent) {
	thread := threadOf(ev.ThreadTimeStamp, ev.TimeStamp)
	who := conference.Person{Team: outer.TeamID, Enterprise: outer.EnterpriseID, User: ev.User}
	where := conference.Place{Team: outer.TeamID, Channel: ev.Channel, Thread: thread}
	rt := route{Channel: ev.Channel, Thread: thread, User: ev.User}
	// Everything after the bot's own mention is the command.
	text := ev.Text
	if i := strings.Index(text, "<@"+b.botUserID+">"); i >= 0 {
		text = text[i+len("<@"+b.botUserID+">"):]
	}
	text = addVerb.ReplaceAllString(strings.TrimSpace(text), "")
	b.onTypedCommand(smc, env, "event:"+eventID(outer, env), text, who, where, rt)
}

// onTypedCommand runs a command typed in a message (a mention or a direct
// message), where no ack can carry the answer: it is claimed once, then
// answered privately in the thread.
func (b *Bot) onTypedCommand(smc *socketmode.Client, env *socketmode.Request, key, text string, who conference.Person, where conference.Place, rt route) {
	cmd, err := ParseCommand(text, b.region)
	switch {
	case err == nil && cmd.Kind.queued():
		b.submit(smc, env, b.requestOf(cmd, key, who, where, rt), rt, false)
		return
	case err == nil && cmd.Kind != CommandHelp && cmd.Kind != CommandModal:
		b.answerCommand(smc, env, key, who, where, rt, cmd, false)
		return
	}
	answer := b.helpMessage()
	if err != nil {
		answer = usageMessage(asUsageError(err))
	}
	// Answered once, however often Slack re-delivers the event.
	b.answer(smc, env, key, rt, false, func(context.Context) message { return answer })
}

// eventID is the key that identifies an event across Slack's re-deliveries.
func eventID(outer slackevents.EventsAPIEvent, env *socketmode.Request) string {
	if cb, ok := outer.Data.(*slackevents.EventsAPICallbackEvent); ok && cb.EventID != "" {
		return cb.EventID
	}
	return env.EnvelopeID
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
