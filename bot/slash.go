package bot

import (
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mpc-bot/mpc-bot/conference"
)

// onSlashCommand answers bad input and help inside the ack itself; a
// request is recorded first and acked after, with its place in line.
// Parsing (numbers are parsed with libphonenumber) happens off the event
// loop, which in a burst has every envelope behind it to read and ack.
func (b *Bot) onSlashCommand(smc *socketmode.Client, env *socketmode.Request, sc slack.SlashCommand) {
	b.spawn(func() { b.slashCommand(smc, env, sc) })
}

func (b *Bot) slashCommand(smc *socketmode.Client, env *socketmode.Request, sc slack.SlashCommand) {
	if sc.Command != slashCommand {
		b.ack(smc, env, unknownCommandMessage(sc.Command).ackPayload())
		return
	}
	who := conference.Person{Team: sc.TeamID, Enterprise: sc.EnterpriseID, User: sc.UserID}
	where := conference.Place{Team: sc.TeamID, Channel: sc.ChannelID}
	rt := route{Channel: sc.ChannelID, User: sc.UserID, ResponseURL: sc.ResponseURL}
	cmd, err := ParseCommand(sc.Text, b.region)
	switch {
	case err != nil:
		b.ack(smc, env, usageMessage(asUsageError(err)).ackPayload())
		b.log.Info("refused command", "user", sc.UserID, "channel", sc.ChannelID, "reason", "usage")
	case cmd.Kind == CommandHelp:
		b.ack(smc, env, b.helpMessage().ackPayload())
	case cmd.Kind == CommandModal:
		b.ack(smc, env, nil)
		b.openModal(sc.TriggerID, modalOrigin{ChannelID: sc.ChannelID, ResponseURL: sc.ResponseURL}, rt.private())
	case cmd.Kind.queued():
		b.submit(smc, env, b.requestOf(cmd, "envelope:"+env.EnvelopeID, who, where, rt), rt, true)
	default:
		b.answerCommand(smc, env, "", who, where, rt, cmd, true)
	}
}

// requestOf turns a parsed command into the service's request.
func (b *Bot) requestOf(cmd Command, key string, who conference.Person, where conference.Place, rt route) conference.Request {
	r := conference.Request{
		Key: key, By: who, Place: where, Reply: rt.encode(),
		Targets: cmd.Targets, Role: cmd.Role, Verb: cmd.Verb, Bridge: cmd.Bridge,
	}
	switch cmd.Kind {
	case CommandAdd:
		r.Kind = conference.KindAdd
	case CommandMember:
		r.Kind = conference.KindMember
	case CommandTransfer:
		r.Kind = conference.KindTransfer
	case CommandAbortTransfer:
		r.Kind = conference.KindAbortTransfer
	}
	return r
}
