package bot

import (
	"strings"

	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/mpc-bot/mpc-bot/conference"
)

// onDirectMessage runs a command typed to the app in its Messages tab,
// with the grammar of the slash command. The direct message is the place:
// `history` and `roster` there are its own, an add is announced there
// (threaded under the message when it is in a thread), and answers are
// plain messages there, since the conversation is already private. Like a
// mention it is once-only, since Slack re-delivers events.
func (b *Bot) onDirectMessage(smc *socketmode.Client, env *socketmode.Request, outer slackevents.EventsAPIEvent, ev *slackevents.MessageEvent) {
	if !fromPerson(ev, b.botUserID) {
		// Edits, deletions, joins, other bots and the bot's own answers:
		// answering them could make the bot talk to itself.
		b.ack(smc, env, nil)
		b.log.Debug("ignored a direct message that is not a person's new message", "subtype", ev.SubType, "bot", ev.BotID != "")
		return
	}
	who := conference.Person{Team: outer.TeamID, Enterprise: outer.EnterpriseID, User: ev.User}
	where := conference.Place{Team: outer.TeamID, Channel: ev.Channel, Thread: ev.ThreadTimeStamp}
	rt := route{Channel: ev.Channel, Thread: ev.ThreadTimeStamp, User: ev.User, DM: true}
	b.onTypedCommand(smc, env, "event:"+eventID(outer, env), b.directCommandText(ev.Text), who, where, rt)
}

// fromPerson reports whether a message event is a new message a person
// wrote: no subtype (message_changed, message_deleted, bot_message,
// channel_join, …), no bot behind it, and not the bot itself.
func fromPerson(ev *slackevents.MessageEvent, botUserID string) bool {
	return ev.SubType == "" && ev.BotID == "" && ev.User != "" && ev.User != botUserID
}

// directCommandText is the command in a direct message. People write as
// they would elsewhere, so a leading mention of the bot, the command's
// name and the word "add" are dropped: "@mpc-bot add @alice", "/mpc-add
// whoami" and "whoami" mean the same.
func (b *Bot) directCommandText(text string) string {
	text = strings.TrimSpace(text)
	text = strings.TrimSpace(strings.TrimPrefix(text, "<@"+b.botUserID+">"))
	if rest, ok := strings.CutPrefix(text, slashCommand); ok && (rest == "" || strings.TrimLeft(rest, " \t\n") != rest) {
		text = strings.TrimSpace(rest)
	}
	return addVerb.ReplaceAllString(text, "")
}
