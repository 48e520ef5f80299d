package bot

import (
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mpc-bot/mpc-bot/conference"
)

// onSlashCommand hands a slash command to the slash intake (intake.go),
// which answers bad input and help inside the ack itself, and records a
// request first and acks it after, with its place in line.
func (b *Bot) onSlashCommand(smc *socketmode.Client, env *socketmode.Request, sc slack.SlashCommand) {
	b.busy.Add(1) // before the intake can see it, so Busy never reads 0 while it waits
	b.slashes.put(slashEnvelope{smc: smc, env: env, sc: sc, arrival: b.svc.Expect()})
}

// slashCommand parses one slash command and answers it, unless it asks
// for a request to be recorded: that request is returned (ok), for the
// intake to record with the others waiting and then ack. Anything slow
// (a modal, an answer that reads the database) goes to a goroutine, so
// that the intake never waits on Slack.
func (b *Bot) slashCommand(e slashEnvelope) (r conference.Request, ok bool) {
	smc, env, sc := e.smc, e.env, e.sc
	if sc.Command != slashCommand {
		b.ack(smc, env, unknownCommandMessage(sc.Command).ackPayload())
		return r, false
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
		return b.requestOf(cmd, "envelope:"+env.EnvelopeID, who, where, rt), true
	default:
		b.answerCommand(smc, env, "", who, where, rt, cmd, true)
	}
	return r, false
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
