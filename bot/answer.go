package bot

import (
	"context"
	"errors"

	"github.com/slack-go/slack/socketmode"

	"github.com/mpc-bot/mpc-bot/conference"
)

// historyLength is how many entries "history" shows.
const historyLength = 15

// maxAckPayload keeps an answer inside Slack's limit on an ack (20 KiB);
// a longer one goes through the response_url.
const maxAckPayload = 19 << 10

// answer runs a command that only answers (whoami, register, unregister,
// history, roster, bridge) off the event loop. A slash command's answer
// rides in its ack, so a re-delivery cannot answer twice; a mention's is
// claimed once (claimKey) before any work, across replicas.
func (b *Bot) answer(smc *socketmode.Client, env *socketmode.Request, claimKey string, rt route, withPayload bool, compute func(context.Context) message) {
	b.spawn(func() {
		ctx, cancel := context.WithTimeout(context.Background(), submitTimeout)
		defer cancel()
		log := b.log.With("user", rt.User, "channel", rt.Channel)
		if claimKey != "" {
			first, err := b.svc.Claim(ctx, claimKey)
			if env != nil {
				b.ack(smc, env, nil)
				env = nil
			}
			switch {
			case err != nil:
				log.Error("could not record the command as answered; not answering, to avoid answering twice", "err", err)
				b.tellPrivately(ctx, rt.private(), notRecordedMessage())
				return
			case !first:
				log.Info("ignored a re-delivery", "key", claimKey)
				return
			}
		}
		m := compute(ctx)
		if env != nil && withPayload {
			if p := m.ackPayload(); payloadSize(p) <= maxAckPayload {
				b.ack(smc, env, p)
				return
			}
			b.ack(smc, env, nil)
		} else if env != nil {
			b.ack(smc, env, nil)
		}
		b.tellPrivately(ctx, rt.private(), m)
	})
}

// answerCommand answers one command of a person in a place.
func (b *Bot) answerCommand(smc *socketmode.Client, env *socketmode.Request, claimKey string, who conference.Person, where conference.Place, rt route, cmd Command, withPayload bool) {
	b.answer(smc, env, claimKey, rt, withPayload, func(ctx context.Context) message {
		return b.answerFor(ctx, who, where, cmd)
	})
}

// answerFor computes the answer to one command.
func (b *Bot) answerFor(ctx context.Context, who conference.Person, where conference.Place, cmd Command) message {
	log := b.log.With("team", who.Team, "user", who.User, "channel", where.Channel, "command", cmd.Kind)
	failed := func(err error) message {
		var nr *conference.NotRecordedError
		if errors.As(err, &nr) {
			log.Error("command failed: database", "err", err)
			return databaseDownMessage()
		}
		return b.refusalMessage(err)
	}
	switch cmd.Kind {
	case CommandRegister:
		a, err := b.svc.Register(ctx, who, cmd.Targets[0].Address)
		if err != nil {
			return failed(err)
		}
		log.Info("registered a number", "address", a)
		// They typed it, so they may see it whole.
		return registeredMessage(a.String(), cmd.Targets[0].Address.Extension())
	case CommandUnregister:
		existed, err := b.svc.Unregister(ctx, who)
		if err != nil {
			return failed(err)
		}
		return unregisteredMessage(existed)
	case CommandWhoami:
		n, err := b.svc.Whoami(ctx, who)
		if err != nil {
			return failed(err)
		}
		return whoamiMessage(n)
	case CommandHistory:
		entries, err := b.svc.History(ctx, where, historyLength)
		if err != nil {
			return failed(err)
		}
		return b.historyMessage(entries)
	case CommandRoster:
		rows, err := b.svc.Roster(ctx, where)
		if err != nil {
			return failed(err)
		}
		return b.rosterMessage(where, rows, "", 1)
	case CommandBridge:
		if cmd.Bridge == "" {
			br, src, err := b.svc.BridgeFor(ctx, where, "")
			if err != nil {
				return failed(err)
			}
			return b.bridgeMessage(br, src, false)
		}
		br, src, err := b.svc.Bind(ctx, who, where, cmd.Bridge)
		if err != nil {
			return failed(err)
		}
		log.Info("bound a channel to a bridge", "bridge", br.Name, "source", src)
		return b.bridgeMessage(br, src, true)
	}
	return b.helpMessage()
}
