package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mpc-bot/mpc-bot/address"
	"github.com/mpc-bot/mpc-bot/phlo"
)

// retryActionID is the action_id of the Retry button on a failed add.
const retryActionID = "mpc_retry"

// retryValue is what a Retry button carries: the audit ID of exactly one
// dial, so a retry sends the same request (same number, role and
// trigger_source). No number travels in it: button values reach every
// client in the channel.
type retryValue struct {
	Version int    `json:"v"`
	AuditID string `json:"a"`
	// Try numbers the retries of one outcome message, so one click of each
	// Retry button counts and a double click does not.
	Try int `json:"n"`
}

// retryFor returns the Retry button's value for an outcome that deserves
// one, or nil.
func retryFor(auditID string, o outcome, try int) *retryValue {
	if o.status == outcomeDialled {
		return nil
	}
	return &retryValue{Version: 2, AuditID: auditID, Try: try}
}

// onRetry handles a click on Retry: the message is updated to say a retry
// runs, the one request is sent again, and the message shows the new
// outcome. Each button dials at most once, however often it is clicked.
func (b *Bot) onRetry(smc *socketmode.Client, req *socketmode.Request, cb slack.InteractionCallback, action *slack.BlockAction) {
	b.ack(smc, req, nil)
	var v retryValue
	if err := json.Unmarshal([]byte(action.Value), &v); err != nil || v.Version != 2 || v.AuditID == "" {
		b.log.Warn("ignored a Retry button with a malformed value", "user", cb.User.ID)
		return
	}
	channel, ts := cb.Channel.ID, cb.Message.Timestamp
	if cb.Container.ChannelID != "" {
		channel, ts = cb.Container.ChannelID, cb.Container.MessageTs
	}
	private := privateReply{responseURL: cb.ResponseURL, channelID: channel, userID: cb.User.ID}
	position, ok := b.admit()
	if !ok {
		b.background(func() { b.tellPrivately(b.work, private, busyMessage(position), b.log) })
		return
	}
	b.jobs.Add(1)
	go b.runRetry(cb.Team.ID, channel, ts, private, v)
}

func (b *Bot) runRetry(teamID, channel, ts string, private privateReply, v retryValue) {
	defer b.jobs.Done()
	defer b.finish()
	presserID := private.userID
	log := b.log.With("request_id", v.AuditID, "team", teamID, "user", presserID, "channel", channel, "retry", v.Try)
	ctx, cancel := context.WithTimeout(b.work, b.cfg.AddTimeout)
	defer cancel()

	if !b.claim(ctx, fmt.Sprintf("retry:%s:%s:%d", channel, ts, v.Try), log) {
		log.Info("ignored a repeated Retry click")
		return
	}
	orig, err := b.store.FindAdd(ctx, v.AuditID)
	if err != nil || orig.TeamID != teamID {
		log.Warn("Retry for an add the audit trail does not have", "err", err)
		b.tellPrivately(ctx, private, simpleMessage(":warning: I no longer have the request this button retries, so nothing was dialled. Start a new `/mpc-add`."), log)
		return
	}
	retryID := fmt.Sprintf("%s/r%d", v.AuditID, v.Try)
	if err := b.cfg.Policy.AllowRequester(ctx, b.groups, channel, presserID); err != nil {
		b.deny(ctx, addRequest{requestID: retryID, teamID: teamID, channelID: channel, callerID: presserID, private: private}, "", err, log, nil)
		return
	}
	if !b.queue.acquire(ctx) {
		b.tellNotStarted(ctx, private, log)
		return
	}
	defer b.queue.release()

	to, err := address.Parse(orig.To, b.region)
	if err != nil {
		log.Error("the audit trail holds an undialable number")
		return
	}
	p := party{addr: to, userID: orig.ToUser, shown: b.people.numberTarget(to)}
	if orig.ToUser != "" {
		p.shown = userTarget(orig.ToUser)
	}
	requestID := requestOf(v.AuditID)
	_, _, _, _ = b.api.UpdateMessageContext(ctx, channel, ts, retryingMessage(p.shown, presserID, requestID).options()...)

	again := orig
	again.RequestID = retryID
	again.ChannelID, again.Status, again.APIID, again.Error = channel, "", "", ""
	again.CreatedAt, again.FinishedAt = time.Time{}, time.Time{}
	o := b.dial(ctx, log, again, "", time.Now())
	b.updateOutcome(ctx, channel, ts, p, phlo.Role(orig.Role), requestID, retryFor(v.AuditID, o, v.Try+1), o, presserID, log)
}

// updateOutcome replaces the outcome message, with a fresh Retry button if
// this try failed too.
func (b *Bot) updateOutcome(ctx context.Context, channel, ts string, p party, role phlo.Role, requestID string, next *retryValue, o outcome, presserID string, log *slog.Logger) {
	fctx, cancel := b.finalContext(ctx)
	defer cancel()
	m := outcomeMessage(p.shown, role, o, requestID, next).withContext(fmt.Sprintf("Retried by <@%s>", presserID))
	if _, _, _, err := b.api.UpdateMessageContext(fctx, channel, ts, m.options()...); err != nil {
		log.Error("could not update the outcome message", "slack_error", slackErrorCode(err))
	}
}

// requestOf is the request ID an audit ID ("req/0/r1") belongs to.
func requestOf(auditID string) string {
	id, _, _ := strings.Cut(auditID, "/")
	return id
}
