package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"github.com/mpc-bot/mpc-bot/phlo"
)

// addJob is one accepted /mpc-add.
type addJob struct {
	requestID   string
	teamID      string
	channelID   string
	userID      string
	responseURL string
	cmd         Command
}

// finalPostTimeout bounds the last message of an add, which is sent even
// when the add's own context has ended, so the person always hears back.
const finalPostTimeout = 5 * time.Second

// runAdd does the slow part of an add, after the ack: find the caller's
// number, announce in the channel, call PHLO once, and reply in the thread.
func (b *Bot) runAdd(j addJob) {
	defer b.jobs.Done()
	defer b.queue.done()
	start := time.Now()
	log := b.log.With("request_id", j.requestID, "team", j.teamID, "user", j.userID, "channel", j.channelID)

	ctx, cancel := context.WithTimeout(b.work, b.cfg.AddTimeout)
	defer cancel()
	// The final word must reach the person even if ctx ended meanwhile.
	final := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.WithoutCancel(ctx), finalPostTimeout)
	}
	tell := func(m message) {
		fctx, cancel := final()
		defer cancel()
		if err := b.postPrivately(fctx, j.responseURL, m); err != nil {
			log.Error("could not answer the user", "err", slackErrorCode(err))
		}
	}

	if !b.queue.acquire(ctx) {
		tell(stoppedMessage())
		log.Warn("add dropped before dialling: shutting down", "outcome", "failed")
		return
	}
	defer b.queue.release()

	caller, callerSource, err := b.people.lookup(ctx, j.userID)
	if err != nil {
		tell(b.lookupFailedMessage(j.userID, err, true))
		log.Info("add refused: no number for the caller", "err", err)
		return
	}
	to, dest := j.cmd.To, numberTarget(j.cmd.To.String())
	if j.cmd.ToUser != "" {
		dest = userTarget(j.cmd.ToUser)
		to, _, err = b.people.lookup(ctx, j.cmd.ToUser)
		if err != nil {
			tell(b.lookupFailedMessage(j.cmd.ToUser, err, false))
			log.Info("add refused: no number for the person to add", "to_user", j.cmd.ToUser, "err", err)
			return
		}
	}

	parentTS, err := b.postInChannel(ctx, j.channelID, "", announceMessage(j.userID, dest, j.cmd.Role, j.requestID))
	if err != nil {
		log.Info("cannot post in the channel, answering through response_url", "slack_error", slackErrorCode(err))
	}

	res, err := b.phlo.AddMember(ctx, phlo.Call{To: to.String(), Role: j.cmd.Role, TriggerSource: caller.String()})
	o := phloOutcome(res, err)
	log.Info("add",
		"to", to, "to_user", j.cmd.ToUser, "role", j.cmd.Role,
		"trigger_source", caller, "trigger_source_from", string(callerSource),
		"outcome", o.String(), "api_id", o.apiID, "attempts", res.Attempts,
		"phlo_error", errString(err), "duration", time.Since(start).Round(time.Millisecond))

	fctx, fcancel := final()
	defer fcancel()
	if parentTS != "" {
		_, err := b.postInChannel(fctx, j.channelID, parentTS, outcomeMessage(dest, j.cmd.Role, o, j.requestID))
		if err == nil {
			return
		}
		log.Warn("could not reply in the thread, answering through response_url", "slack_error", slackErrorCode(err))
	}
	if err := b.postPrivately(fctx, j.responseURL, privateOutcomeMessage(j.userID, dest, j.cmd.Role, o, j.requestID)); err != nil {
		log.Error("could not tell the user the outcome", "slack_error", slackErrorCode(err))
	}
}

// lookupFailedMessage explains why a person's number is unknown.
func (b *Bot) lookupFailedMessage(userID string, err error, isCaller bool) message {
	var na *NoAddressError
	switch {
	case errors.As(err, &na) && isCaller:
		return callerUnknownMessage(userID, na)
	case errors.As(err, &na):
		return targetUnknownMessage(userID, na)
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
