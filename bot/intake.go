package bot

import (
	"context"
	"sync"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mpc-bot/mpc-bot/conference"
)

// The slash intake is why a burst of slash commands is acknowledged
// quickly. Slack shows a person nothing until their command is acked, and
// a goroutine per command (to parse and submit it, then to ack it once it
// is recorded) would have a burst's commands compete for the CPU with the
// goroutines still reading the rest of the burst off the socket. Instead
// two goroutines form a pipeline: the intake takes every command waiting,
// parses each and hands its request to the service's group commit
// (Enqueue), and the acker awaits the answers in order and acks. While the
// database records one batch, the intake parses the next.

// slashEnvelope is one slash command waiting for the intake.
type slashEnvelope struct {
	smc *socketmode.Client
	env *socketmode.Request
	sc  slack.SlashCommand
	// arrival has the service hold work back until it is submitted.
	arrival *conference.Arrival
}

// enqueued is a command whose request awaits its commit, for the acker.
type enqueued struct {
	slashEnvelope
	req     conference.Request
	pending conference.Pending
	ctx     context.Context
	// last ends ctx once the last command of its batch is acked.
	last func()
}

// queue is a FIFO between two goroutines that never blocks the producer.
type queue[T any] struct {
	mu    sync.Mutex
	items []T
	wake  chan struct{} // a token when items is not empty
}

func newQueue[T any]() *queue[T] { return &queue[T]{wake: make(chan struct{}, 1)} }

// put appends items.
func (q *queue[T]) put(items ...T) {
	q.mu.Lock()
	q.items = append(q.items, items...)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take returns everything queued.
func (q *queue[T]) take() []T {
	q.mu.Lock()
	defer q.mu.Unlock()
	items := q.items
	q.items = nil
	return items
}

// runSlashIntake runs the intake and the acker until stop is closed, and
// then answers what is still waiting.
func (b *Bot) runSlashIntake(stop <-chan struct{}) {
	acks := newQueue[enqueued]()
	intakeDone := make(chan struct{})
	var acker sync.WaitGroup
	acker.Go(func() {
		for {
			select {
			case <-acks.wake:
				b.ackRecorded(acks.take())
			case <-intakeDone:
				b.ackRecorded(acks.take())
				return
			}
		}
	})
	defer acker.Wait()
	defer close(intakeDone)
	for {
		select {
		case <-b.slashes.wake:
			acks.put(b.enqueueSlashCommands(b.slashes.take())...)
		case <-stop:
			acks.put(b.enqueueSlashCommands(b.slashes.take())...)
			return
		}
	}
}

// enqueueSlashCommands parses a batch of slash commands, answers those
// that ask for no request, and hands the requests of the others to the
// group commit, returning them for the acker.
func (b *Bot) enqueueSlashCommands(batch []slashEnvelope) []enqueued {
	if len(batch) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), submitTimeout)
	var out []enqueued
	for _, e := range batch {
		r, ok := b.slashCommand(e)
		if !ok {
			e.arrival.Drop()
			b.busy.Add(-1)
			continue
		}
		out = append(out, enqueued{slashEnvelope: e, req: r, pending: e.arrival.Enqueue(ctx, r), ctx: ctx})
	}
	if len(out) == 0 {
		cancel()
		return nil
	}
	out[len(out)-1].last = cancel
	return out
}

// ackRecorded acks commands in order as their requests are recorded.
func (b *Bot) ackRecorded(items []enqueued) {
	for _, e := range items {
		receipt, err := b.svc.Await(e.ctx, e.pending)
		rt := route{Channel: e.sc.ChannelID, User: e.sc.UserID, ResponseURL: e.sc.ResponseURL}
		b.acknowledge(e.smc, e.env, e.req, rt, true, receipt, err)
		if e.last != nil {
			e.last()
		}
		b.busy.Add(-1)
	}
}
