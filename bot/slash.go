package bot

import (
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// onSlashCommand answers bad input and help inside the ack itself, and for
// an add acks first and dials afterwards.
func (b *Bot) onSlashCommand(smc *socketmode.Client, req *socketmode.Request, sc slack.SlashCommand) {
	if sc.Command != b.command {
		b.ack(smc, req, unknownCommandMessage(sc.Command).ackPayload())
		return
	}
	private := privateReply{responseURL: sc.ResponseURL, channelID: sc.ChannelID, userID: sc.UserID}
	cmd, err := ParseCommand(sc.Text, b.region)
	switch {
	case err != nil:
		b.ack(smc, req, usageMessage(asUsageError(err)).ackPayload())
		b.log.Info("refused command", "user", sc.UserID, "channel", sc.ChannelID, "reason", "usage")
		return
	case cmd.Kind == CommandHelp:
		b.ack(smc, req, helpMessage(b.command, b.region).ackPayload())
		return
	case cmd.Kind.account():
		b.ack(smc, req, nil)
		b.onAccountCommand(sc.TeamID, sc.ChannelID, sc.UserID, private, cmd)
		return
	case cmd.Kind == CommandModal:
		b.ack(smc, req, nil)
		b.openModal(sc.TriggerID, modalOrigin{ChannelID: sc.ChannelID, ResponseURL: sc.ResponseURL}, private)
		return
	}

	position, ok := b.admit()
	if !ok {
		b.ack(smc, req, busyMessage(position).ackPayload())
		b.log.Warn("refused add: queue full", "user", sc.UserID, "queued", position)
		return
	}
	if position > 0 {
		b.ack(smc, req, queuedMessage(position).ackPayload())
	} else {
		b.ack(smc, req, nil)
	}
	b.enqueue(addRequest{
		requestID: b.newReqID(),
		claimKey:  "envelope:" + req.EnvelopeID,
		teamID:    sc.TeamID,
		channelID: sc.ChannelID,
		callerID:  sc.UserID,
		private:   private,
		role:      cmd.Role,
		targets:   cmd.Targets,
	})
}
