package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/mpc-bot/mpc-bot/policy"
	"github.com/mpc-bot/mpc-bot/store"
)

// tellNotStarted explains an accepted request that never got a slot:
// shutdown, or a queue too long to get through within AddTimeout.
func (b *Bot) tellNotStarted(ctx context.Context, to privateReply, log *slog.Logger) {
	if b.work.Err() != nil {
		b.tellPrivately(ctx, to, stoppedMessage(), log)
		log.Warn("add dropped before dialling: shutting down", "outcome", "failed")
		return
	}
	b.obs.Denied("queue_timeout")
	b.tellPrivately(ctx, to, simpleMessage(fmt.Sprintf(":hourglass: mpc-bot was too busy to start this within %s, so nothing was dialled. Try again in a minute.", b.cfg.AddTimeout)), log)
	log.Warn("add dropped before dialling: queued too long", "outcome", "failed")
}

// allowedDestinations keeps the parties the policy lets the bot dial; the
// others join req.unreachable with the reason, and the audit trail.
func (b *Bot) allowedDestinations(ctx context.Context, req *addRequest, log *slog.Logger) []party {
	var ok []party
	for i, p := range req.parties {
		err := b.cfg.Policy.AllowDestination(p.addr)
		if err == nil {
			ok = append(ok, p)
			continue
		}
		req.unreachable = append(req.unreachable, unreachable{shown: p.shown, why: asDenial(err).Message, err: err})
		b.deny(ctx, *req, fmt.Sprintf("%s/denied/%d", req.requestID, i), err, log, &p)
	}
	return ok
}

// asDenial is the policy's refusal in err. An error that is not one means
// the policy could not be checked (a Slack error), which refuses too:
// allowing on error would defeat the allow-lists.
func asDenial(err error) *policy.DeniedError {
	var denied *policy.DeniedError
	if errors.As(err, &denied) {
		return denied
	}
	return &policy.DeniedError{Reason: "error", Message: "I could not check whether you may add people (" + escape(slackErrorCode(errors.Unwrap(err))) + "), so nothing was dialled. Try again in a moment."}
}

// deny records a refused request, or the one refused person who of it,
// counts it, and, for a whole request, tells the caller why. An empty
// auditID means the request's own.
func (b *Bot) deny(ctx context.Context, req addRequest, auditID string, err error, log *slog.Logger, who *party) {
	denied := asDenial(err)
	b.obs.Denied(denied.Reason)
	a := store.Add{RequestID: auditID, TeamID: req.teamID, ChannelID: req.channelID, UserID: req.callerID,
		Role: string(req.role), Status: store.StatusDenied, Error: denied.Reason + ": " + denied.Message}
	if a.RequestID == "" {
		a.RequestID = req.requestID + "/denied"
	}
	if who != nil {
		a.To, a.ToUser = who.addr.String(), who.userID
	}
	if err := b.store.BeginAdd(ctx, a); err != nil {
		log.Error("could not record a denial", "err", err)
	}
	log.Info("add denied", "reason", denied.Reason)
	if who == nil {
		b.tellPrivately(ctx, req.private, simpleMessage(":no_entry: "+denied.Message), log)
	}
}

// waitForUserLimit holds a request whose caller dialled too many people
// lately, telling them so; false means it cannot wait that long and the
// caller was told to retry.
func (b *Bot) waitForUserLimit(ctx context.Context, req addRequest, log *slog.Logger) bool {
	wait, cancel := b.limits.reserve(req.teamID, req.callerID, len(req.parties))
	if wait <= 0 {
		return true
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait+10*time.Second {
		cancel()
		b.obs.Denied("rate_limit")
		b.tellPrivately(ctx, req.private, rateLimitedMessage(b.cfg.UserDialsPerMinute, wait), log)
		log.Info("add refused: caller over their rate limit", "wait", wait)
		return false
	}
	b.tellPrivately(ctx, req.private, rateQueuedMessage(b.cfg.UserDialsPerMinute, wait), log)
	log.Info("add queued: caller over their rate limit", "wait", wait)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		b.tellPrivately(ctx, req.private, stoppedMessage(), log)
		return false
	}
}
