package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mpc-bot/mpc-bot/address"
	"github.com/mpc-bot/mpc-bot/phlo"
)

// retryActionID is the action_id of the Retry button on a failed add.
const retryActionID = "mpc_retry"

// retryValue is what a Retry button carries: exactly one request, so a
// retry dials the same person with the same role for the same caller. A
// Slack user travels as their ID, never their number, since button values
// reach every client in the channel.
type retryValue struct {
	Version   int       `json:"v"`
	RequestID string    `json:"req"`
	To        string    `json:"to,omitempty"`
	UserID    string    `json:"u,omitempty"`
	Role      phlo.Role `json:"r"`
	CallerID  string    `json:"c"`
	// Try numbers the retries of one outcome message, so one click of each
	// Retry button counts and a double click does not.
	Try int `json:"n"`
}

// retryFor returns the Retry button's value for an outcome that deserves
// one, or nil.
func retryFor(req addRequest, p party, o outcome, try int) *retryValue {
	if o.status == outcomeDialled {
		return nil
	}
	v := &retryValue{Version: 1, RequestID: req.requestID, Role: req.role, CallerID: req.callerID, Try: try}
	if p.userID != "" {
		v.UserID = p.userID
	} else {
		v.To = p.addr.String()
	}
	return v
}

// onRetry handles a click on Retry: the message is updated to say a retry
// runs, the one request is sent again, and the message shows the new
// outcome. Each button dials at most once, however often it is clicked.
func (b *Bot) onRetry(smc *socketmode.Client, req *socketmode.Request, cb slack.InteractionCallback, action *slack.BlockAction) {
	b.ack(smc, req, nil)
	var v retryValue
	if err := json.Unmarshal([]byte(action.Value), &v); err != nil || v.Version != 1 || (v.To == "" && v.UserID == "") {
		b.log.Warn("ignored a Retry button with a malformed value", "user", cb.User.ID)
		return
	}
	channel, ts := cb.Channel.ID, cb.Message.Timestamp
	if cb.Container.ChannelID != "" {
		channel, ts = cb.Container.ChannelID, cb.Container.MessageTs
	}
	private := privateReply{responseURL: cb.ResponseURL, channelID: channel, userID: cb.User.ID}
	position, ok := b.queue.admit()
	if !ok {
		b.background(func() { b.tellPrivately(b.work, private, busyMessage(position), b.log) })
		return
	}
	b.jobs.Add(1)
	go b.runRetry(cb.Team.ID, channel, ts, private, v)
}

func (b *Bot) runRetry(teamID, channel, ts string, private privateReply, v retryValue) {
	defer b.jobs.Done()
	defer b.queue.done()
	presserID := private.userID
	log := b.log.With("request_id", v.RequestID, "team", teamID, "user", presserID, "channel", channel, "retry", v.Try)
	ctx, cancel := context.WithTimeout(b.work, b.cfg.AddTimeout)
	defer cancel()

	if !b.claim(ctx, fmt.Sprintf("retry:%s:%s:%d", channel, ts, v.Try), log) {
		log.Info("ignored a repeated Retry click")
		return
	}
	if !b.queue.acquire(ctx) {
		b.tellPrivately(ctx, private, stoppedMessage(), log)
		return
	}
	defer b.queue.release()

	p := party{userID: v.UserID}
	if v.UserID != "" {
		p.shown = userTarget(v.UserID)
	} else {
		a, err := address.Parse(v.To, b.region)
		if err != nil {
			log.Warn("ignored a Retry button with an undialable number")
			return
		}
		p.shown, p.addr = numberTarget(a.String()), a
	}
	_, _, _, _ = b.api.UpdateMessageContext(ctx, channel, ts, retryingMessage(p.shown, presserID, v.RequestID).options()...)

	caller, callerSource, err := b.people.lookup(ctx, teamID, v.CallerID)
	if err != nil {
		b.updateOutcome(ctx, channel, ts, p, v, outcome{status: outcomeFailed, reason: "the caller's own number is no longer known, so nothing was dialled."}, presserID, log)
		return
	}
	if v.UserID != "" {
		if p.addr, _, err = b.people.lookup(ctx, teamID, v.UserID); err != nil {
			b.updateOutcome(ctx, channel, ts, p, v, outcome{status: outcomeFailed, reason: unreachableReason(err) + ", so nothing was dialled."}, presserID, log)
			return
		}
	}
	req := addRequest{requestID: v.RequestID, role: v.Role, callerID: v.CallerID}
	o := b.dial(ctx, log, req, caller, callerSource, p, time.Now())
	b.updateOutcome(ctx, channel, ts, p, v, o, presserID, log)
}

// updateOutcome replaces the outcome message, with a fresh Retry button if
// this try failed too.
func (b *Bot) updateOutcome(ctx context.Context, channel, ts string, p party, v retryValue, o outcome, presserID string, log *slog.Logger) {
	fctx, cancel := b.finalContext(ctx)
	defer cancel()
	next := retryFor(addRequest{requestID: v.RequestID, role: v.Role, callerID: v.CallerID}, p, o, v.Try+1)
	m := outcomeMessage(p.shown, v.Role, o, v.RequestID, next).withContext(fmt.Sprintf("Retried by <@%s>", presserID))
	if _, _, _, err := b.api.UpdateMessageContext(fctx, channel, ts, m.options()...); err != nil {
		log.Error("could not update the outcome message", "slack_error", slackErrorCode(err))
	}
}
