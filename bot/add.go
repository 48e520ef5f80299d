package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/mpc-bot/mpc-bot/phlo"
	"github.com/mpc-bot/mpc-bot/store"
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
	b.side.Add(1)
	go func() {
		defer b.jobs.Done()
		defer b.side.Add(-1)
		f()
	}()
}

// runAdd does the slow part of an add, after the ack: check the policy,
// find the caller's number and the people's, announce, record each dial
// and call PHLO once per person, and reply in the thread.
func (b *Bot) runAdd(req addRequest) {
	defer b.jobs.Done()
	defer b.finish()
	start := time.Now()
	log := b.log.With("request_id", req.requestID, "team", req.teamID, "user", req.callerID, "channel", req.channelID)

	ctx, cancel := context.WithTimeout(b.work, b.cfg.AddTimeout)
	defer cancel()
	if req.claimKey != "" && !b.claim(ctx, req.claimKey, log) {
		log.Info("ignored a re-delivery", "key", req.claimKey)
		return
	}
	if err := b.cfg.Policy.AllowRequester(ctx, b.groups, req.channelID, req.callerID); err != nil {
		b.deny(ctx, req, "", err, log, nil)
		return
	}
	if !b.queue.acquire(ctx) {
		b.tellNotStarted(ctx, req.private, log)
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
	req.parties = b.allowedDestinations(ctx, &req, log)
	if len(req.parties) == 0 {
		b.tellPrivately(ctx, req.private, nobodyToDialMessage(req.unreachable), log)
		log.Info("add refused: nobody to dial", "unreachable", len(req.unreachable))
		return
	}
	if !b.waitForUserLimit(ctx, req, log) {
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
			audit := store.Add{
				RequestID: fmt.Sprintf("%s/%d", req.requestID, i), TeamID: req.teamID, ChannelID: req.channelID,
				UserID: req.callerID, To: p.addr.String(), ToUser: p.userID, Role: string(req.role), TriggerSource: caller.String(),
			}
			results[i] = b.dial(ctx, log, audit, callerSource, start)
			if parentTS == "" {
				return
			}
			fctx, fcancel := b.finalContext(ctx)
			defer fcancel()
			retry := retryFor(audit.RequestID, results[i], 1)
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
		b.tellPrivately(ctx, req.private, privateOutcomeMessage(announce, missed, req.role, req.requestID), log)
	}
}

// finalContext outlives ctx by finalPostTimeout, for the last word.
func (b *Bot) finalContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), finalPostTimeout)
}

// claim reports whether this process is the first to act on key. If the
// claim store fails, acting is the lesser evil only when nothing could have
// dialled yet, which holds here: claims come before any PHLO request.
func (b *Bot) claim(ctx context.Context, key string, log *slog.Logger) bool {
	ok, err := b.store.Claim(ctx, key, claimTTL)
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
