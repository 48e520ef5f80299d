package bot

import (
	"errors"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// onSlashCommand answers bad input and help inside the ack itself, and for
// an add acks first and dials afterwards.
func (b *Bot) onSlashCommand(smc *socketmode.Client, req *socketmode.Request, sc slack.SlashCommand) {
	if !b.seen.add(req.EnvelopeID) {
		// A re-delivery of an envelope we already took: ack again so Slack
		// stops, but never act twice.
		b.ack(smc, req, nil)
		b.log.Info("ignored re-delivered envelope", "envelope_id", req.EnvelopeID, "retry_attempt", req.RetryAttempt)
		return
	}
	if sc.Command != b.command {
		b.ack(smc, req, unknownCommandMessage(sc.Command).ackPayload())
		return
	}
	cmd, err := ParseCommand(sc.Text, b.region)
	var usage *UsageError
	switch {
	case errors.As(err, &usage):
		b.ack(smc, req, usageMessage(usage).ackPayload())
		b.log.Info("refused command", "user", sc.UserID, "channel", sc.ChannelID, "reason", "usage")
		return
	case err != nil:
		b.ack(smc, req, simpleMessage(":warning: "+escape(err.Error())).ackPayload())
		return
	case cmd.Kind == CommandHelp:
		b.ack(smc, req, helpMessage(b.command, b.region).ackPayload())
		return
	}

	position, ok := b.queue.admit()
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
	j := addJob{
		requestID:   b.newReqID(),
		teamID:      sc.TeamID,
		channelID:   sc.ChannelID,
		userID:      sc.UserID,
		responseURL: sc.ResponseURL,
		cmd:         cmd,
	}
	b.jobs.Add(1)
	go b.runAdd(j)
}
