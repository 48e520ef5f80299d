package bot

import (
	"context"
	"errors"
	"time"

	"github.com/slack-go/slack/socketmode"

	"github.com/mpc-bot/mpc-bot/conference"
)

// submitTimeout bounds recording a request: Slack wants its ack within
// three seconds.
const submitTimeout = 2500 * time.Millisecond

// submit records r with the service, off the event loop, and acks the
// envelope once it is recorded: an acknowledged request survives a crash
// of this process. withPayload answers in the ack itself (slash commands);
// otherwise the answer, if any, goes to the person privately.
func (b *Bot) submit(smc *socketmode.Client, env *socketmode.Request, r conference.Request, rt route, withPayload bool) {
	b.spawn(func() {
		ctx, cancel := context.WithTimeout(context.Background(), submitTimeout)
		defer cancel()
		receipt, err := b.svc.Submit(ctx, r)
		b.acknowledge(smc, env, r, rt, withPayload, receipt, err)
	})
}

// acknowledge acks the envelope of a request Submit answered, telling the
// person its place in line or why it was not recorded.
func (b *Bot) acknowledge(smc *socketmode.Client, env *socketmode.Request, r conference.Request, rt route, withPayload bool, receipt conference.Receipt, err error) {
	answer, ok := b.admissionMessage(receipt, err, r)
	if env != nil {
		if withPayload && ok {
			b.ack(smc, env, answer.ackPayload())
			return
		}
		b.ack(smc, env, nil)
	}
	if ok {
		b.tellPrivately(context.Background(), rt.private(), answer)
	}
}

// admissionMessage is what the person is told when their request is
// recorded, or why it was not; ok is false when there is nothing to say.
func (b *Bot) admissionMessage(receipt conference.Receipt, err error, r conference.Request) (message, bool) {
	var full *conference.QueueFullError
	var notRecorded *conference.NotRecordedError
	switch {
	case err == nil && receipt.Position > 0:
		return queuedMessage(receipt.Position), true
	case err == nil:
		return message{}, false
	case errors.Is(err, conference.ErrDuplicate):
		b.log.Info("ignored a re-delivery", "key", r.Key)
		return message{}, false
	case errors.As(err, &full):
		b.log.Warn("refused a request: queue full", "user", r.By.User, "queued", full.Waiting)
		return busyMessage(full.Waiting), true
	case errors.Is(err, conference.ErrShuttingDown):
		return restartingMessage(), true
	case errors.As(err, &notRecorded):
		b.log.Error("could not record a request; nobody will be dialled", "user", r.By.User, "channel", r.Place.Channel, "err", err)
		return notRecordedMessage(), true
	}
	b.log.Error("could not submit a request", "err", err)
	return notRecordedMessage(), true
}
