package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/mpc-bot/mpc-bot/address"
	"github.com/mpc-bot/mpc-bot/phlo"
)

// addRequest is one accepted request to dial one or more people, from a
// slash command, the modal or a mention.
type addRequest struct {
	requestID string
	claimKey  string // once-only key of the envelope or event; "" for none
	teamID    string
	channelID string
	// threadTS is the thread everything goes into (shortcut, mention);
	// empty for a slash command, whose announcement becomes the parent.
	threadTS string
	callerID string
	private  privateReply
	role     phlo.Role
	note     string
	targets  []Target // resolved in the job
	// parties and unreachable are set when the modal resolved them already.
	parties     []party
	unreachable []unreachable
	resolved    bool
}

// privateReply reaches the invoking user alone: through the response_url
// when there is one (works in channels the bot is not in), else as an
// ephemeral message.
type privateReply struct {
	responseURL string
	channelID   string
	userID      string
	threadTS    string
}

// finalPostTimeout bounds the last messages of an add, which are sent even
// when the add's own context has ended, so the person always hears back.
const finalPostTimeout = 5 * time.Second

// dialsPerRequest bounds the PHLO requests one request makes at once.
const dialsPerRequest = 4

// enqueue accounts for req and runs it in the background. It must be
// called after the envelope was acknowledged.
func (b *Bot) enqueue(req addRequest) {
	b.jobs.Add(1)
	go b.runAdd(req)
}

// background runs f as tracked work, so shutdown waits for it.
func (b *Bot) background(f func()) {
	b.jobs.Add(1)
	go func() {
		defer b.jobs.Done()
		f()
	}()
}

// runAdd does the slow part of an add, after the ack: find the caller's
// number and the people's, announce, call PHLO once per person, and reply
// in the thread.
func (b *Bot) runAdd(req addRequest) {
	defer b.jobs.Done()
	defer b.queue.done()
	start := time.Now()
	log := b.log.With("request_id", req.requestID, "team", req.teamID, "user", req.callerID, "channel", req.channelID)

	ctx, cancel := context.WithTimeout(b.work, b.cfg.AddTimeout)
	defer cancel()
	if req.claimKey != "" && !b.claim(ctx, req.claimKey, log) {
		log.Info("ignored a re-delivery", "key", req.claimKey)
		return
	}
	if !b.queue.acquire(ctx) {
		b.tellPrivately(ctx, req.private, stoppedMessage(), log)
		log.Warn("add dropped before dialling: shutting down", "outcome", "failed")
		return
	}
	defer b.queue.release()

	caller, callerSource, err := b.people.lookup(ctx, req.teamID, req.callerID)
	if err != nil {
		b.tellPrivately(ctx, req.private, callerLookupFailedMessage(req.callerID, err), log)
		log.Info("add refused: no number for the caller", "err", err)
		return
	}
	if !req.resolved {
		req.parties, req.unreachable, err = b.people.resolve(ctx, req.teamID, req.targets)
		var tooMany *TooManyPeopleError
		if errors.As(err, &tooMany) {
			b.tellPrivately(ctx, req.private, tooManyMessage(tooMany), log)
			log.Info("add refused: too many people", "count", tooMany.Count)
			return
		}
	}
	if len(req.parties) == 0 {
		b.tellPrivately(ctx, req.private, nobodyToDialMessage(req.unreachable), log)
		log.Info("add refused: nobody has a number", "unreachable", len(req.unreachable))
		return
	}

	shown := make([]target, len(req.parties))
	for i, p := range req.parties {
		shown[i] = p.shown
	}
	announce := announceMessage(req.callerID, shown, req.role, req.note, req.unreachable, req.requestID)
	parentTS, err := b.postInChannel(ctx, req.channelID, req.threadTS, announce)
	if err != nil {
		log.Info("cannot post in the channel, answering privately", "slack_error", slackErrorCode(err))
	}
	thread := req.threadTS
	if thread == "" {
		thread = parentTS
	}

	results := make([]outcome, len(req.parties))
	var wg sync.WaitGroup
	sem := make(chan struct{}, dialsPerRequest)
	for i, p := range req.parties {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = b.dial(ctx, log, req, caller, callerSource, p, start)
			if parentTS == "" {
				return
			}
			fctx, fcancel := b.finalContext(ctx)
			defer fcancel()
			retry := retryFor(req, p, results[i], 1)
			if _, err := b.postInChannel(fctx, req.channelID, thread, outcomeMessage(p.shown, req.role, results[i], req.requestID, retry)); err != nil {
				log.Warn("could not reply in the thread", "slack_error", slackErrorCode(err))
				results[i].unposted = true
			}
		})
	}
	wg.Wait()

	// Whatever the channel did not show, the user sees privately.
	var missed []partyOutcome
	for i, p := range req.parties {
		if parentTS == "" || results[i].unposted {
			missed = append(missed, partyOutcome{shown: p.shown, outcome: results[i]})
		}
	}
	if len(missed) > 0 {
		fctx, fcancel := b.finalContext(ctx)
		defer fcancel()
		b.tellPrivately(fctx, req.private, privateOutcomeMessage(announce, missed, req.role, req.requestID), log)
	}
}

// dial makes the one PHLO request for one person and logs its outcome.
func (b *Bot) dial(ctx context.Context, log *slog.Logger, req addRequest, caller address.Address, callerSource source, p party, start time.Time) outcome {
	res, err := b.phlo.AddMember(ctx, phlo.Call{To: p.addr.String(), Role: req.role, TriggerSource: caller.String()})
	o := phloOutcome(res, err)
	log.Info("add",
		"to", p.addr, "to_user", p.userID, "role", req.role,
		"trigger_source", caller, "trigger_source_from", string(callerSource),
		"outcome", o.String(), "api_id", o.apiID, "attempts", res.Attempts,
		"phlo_error", errString(err), "duration", time.Since(start).Round(time.Millisecond))
	return o
}

// finalContext outlives ctx by finalPostTimeout, for the last word.
func (b *Bot) finalContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), finalPostTimeout)
}

// claim reports whether this process is the first to act on key. If the
// claim store fails, acting is the lesser evil only when nothing could have
// dialled yet, which holds here: claims come before any PHLO request.
func (b *Bot) claim(ctx context.Context, key string, log *slog.Logger) bool {
	ok, err := b.claims.Claim(ctx, key, claimTTL)
	if err != nil {
		log.Error("could not record the request as taken; not acting on it, to avoid a double dial", "key", key, "err", err)
		return false
	}
	return ok
}

// tellPrivately shows m to the invoking user alone, with a fresh deadline
// since it is often the last word after ctx ended.
func (b *Bot) tellPrivately(ctx context.Context, to privateReply, m message, log *slog.Logger) {
	fctx, cancel := b.finalContext(ctx)
	defer cancel()
	var err error
	if to.responseURL != "" {
		err = b.postPrivately(fctx, to.responseURL, m)
	} else {
		opts := m.options()
		if to.threadTS != "" {
			opts = append(opts, slack.MsgOptionTS(to.threadTS))
		}
		_, err = b.api.PostEphemeralContext(fctx, to.channelID, to.userID, opts...)
	}
	if err != nil {
		log.Error("could not answer the user", "slack_error", slackErrorCode(err))
	}
}

// callerLookupFailedMessage explains why the caller's own number is unknown.
func callerLookupFailedMessage(userID string, err error) message {
	var na *NoAddressError
	if errors.As(err, &na) {
		return callerUnknownMessage(userID, na)
	}
	return profileLookupFailedMessage(userID, slackErrorCode(err))
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// newRequestID returns a short random ID that appears in the log line and
// in the Slack thread, so an operator can find one from the other.
func newRequestID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
