package bot

import (
	"context"
	"log/slog"
	"time"
)

// historyLength is how many recent adds /mpc-add history shows.
const historyLength = 15

// onAccountCommand runs register, unregister, whoami and history after the
// ack; each answers privately through the response_url.
func (b *Bot) onAccountCommand(teamID, channelID, userID string, private privateReply, cmd Command) {
	b.background(func() {
		ctx, cancel := context.WithTimeout(b.work, 10*time.Second)
		defer cancel()
		log := b.log.With("team", teamID, "user", userID, "channel", channelID, "command", cmd.Kind)
		b.tellPrivately(ctx, private, b.accountAnswer(ctx, teamID, channelID, userID, cmd, log), log)
	})
}

func (b *Bot) accountAnswer(ctx context.Context, teamID, channelID, userID string, cmd Command, log *slog.Logger) message {
	failed := func(err error) message {
		log.Error("account command failed", "err", err)
		return simpleMessage(":warning: mpc-bot could not reach its database. Try again in a moment.")
	}
	switch cmd.Kind {
	case CommandRegister:
		a := cmd.Targets[0].Addr
		if err := b.store.Register(ctx, teamID, userID, a.String()); err != nil {
			return failed(err)
		}
		log.Info("registered a number", "address", a)
		// They typed it, so they may see it whole.
		return registeredMessage(a.String())
	case CommandUnregister:
		existed, err := b.store.Unregister(ctx, teamID, userID)
		if err != nil {
			return failed(err)
		}
		return unregisteredMessage(existed)
	case CommandWhoami:
		a, from, err := b.people.lookup(ctx, teamID, userID)
		if err != nil {
			return callerLookupFailedMessage(userID, err)
		}
		return whoamiMessage(a.Masked(), from)
	case CommandHistory:
		adds, err := b.store.RecentAdds(ctx, teamID, channelID, historyLength)
		if err != nil {
			return failed(err)
		}
		return historyMessage(adds, time.Now())
	}
	return helpMessage(b.command, b.region)
}
