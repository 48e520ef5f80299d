package bot

import (
	"cmp"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mpc-bot/mpc-bot/conference"
)

// For builds the reporter of one request from the route stored in it;
// *Bot is the service's conference.Replies.
func (b *Bot) For(req conference.Request) conference.Reporter {
	rt, ok := routeOf(req)
	switch {
	case ok && rt.Function != "":
		// A Workflow Builder step, completed when done (workflow_reporter.go).
		return b.stepReporter(req, rt)
	case ok && rt.Channel != "":
		return newReporter(b, req, rt)
	}
	b.log.Warn("a request without a Slack route; its outcome is only logged", "request_id", req.ID)
	return silent{}
}

// newReporter reports in the channel rt names.
func newReporter(b *Bot, req conference.Request, rt route) *reporter {
	r := &reporter{b: b, req: req, rt: rt, announced: make(chan struct{})}
	if rt.Message != "" {
		// A button press: the message it came from is where answers go.
		r.parent = rt.Thread
	}
	return r
}

// reporter shows one request's story in Slack. A typed request announces
// itself in the channel (or the thread it came from) and puts each
// person's outcome in the thread under it; a button press updates the
// message it came from. Whatever cannot be shown there goes to the person
// privately, at the end, in one message.
type reporter struct {
	b   *Bot
	req conference.Request
	rt  route

	// announced is closed once the announcement is posted, or failed to
	// be: outcomes wait for it to know their thread.
	announced    chan struct{}
	announceOnce sync.Once
	announcing   atomic.Bool // Announce was called: there is something to wait for
	announcement message

	mu     sync.Mutex
	parent string   // the thread outcomes go in; "" when not posted
	missed []string // outcomes the channel did not show, a line each
}

// button reports whether the request came from a button on a message,
// which is then updated in place rather than announced anew.
func (r *reporter) button() bool {
	return r.req.Kind == conference.KindAct || r.req.Kind == conference.KindRetryEntry
}

// Waiting tells the person their request waits for their own limit.
func (r *reporter) Waiting(ctx context.Context, w conference.Wait) {
	r.b.tellPrivately(ctx, r.rt.private(), rateQueuedMessage(w))
}

// Announce posts who is about to be dialled or acted on, in the
// background: the PHLO requests do not wait for Slack.
func (r *reporter) Announce(ctx context.Context, a conference.Announcement) {
	r.announcing.Store(true)
	if r.button() {
		if r.rt.Roster || len(a.Parties) != 1 {
			r.announceOnce.Do(func() { close(r.announced) })
			return
		}
		// The "working" update must land before the outcome's, or the
		// message would end on "retrying…": the outcome waits for it.
		r.b.spawn(func() {
			defer r.announceOnce.Do(func() { close(r.announced) })
			r.b.updateMessage(ctx, r.rt, workingMessage(r.b.renderer(), r.req, a, r.rt.Line))
		})
		return
	}
	m := announceMessage(r.b.renderer(), r.req, a)
	if r.rt.Function != "" {
		m = stepAnnouncement(m) // a Workflow Builder step says so (workflow_reporter.go)
	}
	r.announcement = m
	r.b.spawn(func() {
		defer r.announceOnce.Do(func() { close(r.announced) })
		fctx, cancel := finalContext(ctx)
		defer cancel()
		ts, err := r.b.postInChannel(fctx, r.rt.Channel, r.rt.Thread, m)
		if err != nil {
			r.b.log.Info("cannot post in the channel, answering privately", "request_id", r.req.ID, "slack_error", slackErrorCode(err))
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.parent = cmp.Or(r.rt.Thread, ts)
	})
}

// Outcome shows one person's result: a reply in the announcement's
// thread, or the pressed message updated in place.
func (r *reporter) Outcome(ctx context.Context, o conference.PartyOutcome) {
	if r.button() {
		r.updateAfterPress(ctx, o)
		return
	}
	rn := r.b.renderer()
	if thread := r.thread(ctx); thread != "" {
		fctx, cancel := finalContext(ctx)
		defer cancel()
		_, err := r.b.postInChannel(fctx, r.rt.Channel, thread, outcomeMessage(rn, o, 1))
		if err == nil {
			return
		}
		r.b.log.Warn("could not reply in the thread", "request_id", r.req.ID, "slack_error", slackErrorCode(err))
	}
	r.mu.Lock()
	r.missed = append(r.missed, rn.outcomeText(o))
	r.mu.Unlock()
}

// updateAfterPress shows the result of a button press where it was
// pressed.
func (r *reporter) updateAfterPress(ctx context.Context, o conference.PartyOutcome) {
	r.waitAnnounced(ctx)
	rn := r.b.renderer()
	if r.rt.Roster {
		r.b.showRoster(ctx, r.rt, r.req.Place, rn.outcomeText(o))
		return
	}
	r.b.updateMessage(ctx, r.rt, pressedMessage(rn, r.req, o, r.rt.Line, r.b.now(), r.rt.Try+1))
}

// Refused tells the person why nothing was done. A pressed message was
// not touched yet (Announce comes after the rules), so it keeps its
// buttons.
func (r *reporter) Refused(ctx context.Context, err error) {
	r.b.tellPrivately(ctx, r.rt.private(), r.b.refusalMessage(err))
}

// Interrupted says the request went no further: in the thread when the
// announcement made it there, else privately.
func (r *reporter) Interrupted(ctx context.Context, i conference.Interruption) {
	m := interruptedMessage(r.b.renderer(), i)
	if thread := r.thread(ctx); thread != "" && !r.button() {
		fctx, cancel := finalContext(ctx)
		defer cancel()
		if _, err := r.b.postInChannel(fctx, r.rt.Channel, thread, m); err == nil {
			return
		}
	}
	r.b.tellPrivately(ctx, r.rt.private(), m)
}

// Done sends the person whatever the channel did not show.
func (r *reporter) Done(ctx context.Context) {
	r.mu.Lock()
	missed := r.missed
	r.missed = nil
	r.mu.Unlock()
	if len(missed) > 0 {
		r.b.tellPrivately(ctx, r.rt.private(), privateOutcomeMessage(r.announcement, missed, r.req.ID))
	}
}

// thread waits for the announcement and returns the thread outcomes go
// in; "" when nothing was posted.
func (r *reporter) thread(ctx context.Context) string {
	r.waitAnnounced(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.parent
}

// waitAnnounced waits for the announcement to be posted (or to fail), so
// that outcomes know their thread. A request that announced nothing does
// not wait.
func (r *reporter) waitAnnounced(ctx context.Context) {
	if !r.announcing.Load() {
		return
	}
	select {
	case <-r.announced:
	case <-ctx.Done():
		select {
		case <-r.announced:
		case <-time.After(finalPostTimeout):
		}
	}
}

// updateMessage replaces the message a button was pressed on: through the
// response_url for a message only the presser sees, else with chat.update.
func (b *Bot) updateMessage(ctx context.Context, rt route, m message) {
	fctx, cancel := finalContext(ctx)
	defer cancel()
	err := b.botTokenGone()
	switch {
	case err != nil:
	case rt.Ephemeral:
		err = b.postPrivately(fctx, rt.ResponseURL, m, true)
	default:
		_, _, _, err = b.api.UpdateMessageContext(fctx, rt.Channel, rt.Message, m.options()...)
		err = b.checkBotToken("chat.update", err)
	}
	if errors.Is(err, ErrTokenRevoked) {
		return
	}
	if err != nil {
		b.log.Error("could not update the message a button was pressed on", "slack_error", slackErrorCode(err))
		b.tellPrivately(fctx, rt.private(), m)
	}
}

// silent reports nowhere, for requests no Slack route belongs to.
type silent struct{}

func (silent) Waiting(context.Context, conference.Wait)             {}
func (silent) Announce(context.Context, conference.Announcement)    {}
func (silent) Outcome(context.Context, conference.PartyOutcome)     {}
func (silent) Refused(context.Context, error)                       {}
func (silent) Interrupted(context.Context, conference.Interruption) {}
func (silent) Done(context.Context)                                 {}
