package bot

import (
	"context"
	"log/slog"
	"time"

	"github.com/mpc-bot/mpc-bot/address"
	"github.com/mpc-bot/mpc-bot/phlo"
	"github.com/mpc-bot/mpc-bot/store"
)

// dial records one person's add, makes its one PHLO request, records the
// outcome and logs it. Nothing is dialled unless the record was written:
// an add the audit trail cannot show must not happen.
func (b *Bot) dial(ctx context.Context, log *slog.Logger, a store.Add, callerSource source, start time.Time) outcome {
	to, _ := address.Parse(a.To, b.region)
	caller, _ := address.Parse(a.TriggerSource, b.region)
	log = log.With("audit_id", a.RequestID, "to", to, "to_user", a.ToUser, "role", a.Role,
		"trigger_source", caller, "trigger_source_from", string(callerSource))
	if err := b.store.BeginAdd(ctx, a); err != nil {
		log.Error("could not record the add; not dialling", "err", err)
		return outcome{status: outcomeFailed, reason: "mpc-bot could not record the request in its database, so nothing was dialled. Try again in a moment."}
	}

	dialStart := time.Now()
	res, err := b.addMember(ctx, phlo.Call{To: a.To, Role: phlo.Role(a.Role), TriggerSource: a.TriggerSource})
	o := phloOutcome(res, err)
	b.obs.Dialled(o.String(), a.Role, time.Since(dialStart))

	fctx, cancel := b.finalContext(ctx)
	defer cancel()
	detail := errString(err)
	if detail == "" {
		detail = o.reason
	}
	if ferr := b.store.FinishAdd(fctx, a.RequestID, auditStatus(o), o.apiID, detail); ferr != nil {
		log.Error("could not record the outcome", "err", ferr)
	}
	log.Info("add", "outcome", o.String(), "api_id", o.apiID, "attempts", res.Attempts,
		"phlo_error", errString(err), "duration", time.Since(start).Round(time.Millisecond))
	return o
}

// addMember makes the PHLO request once one of the bot-wide slots is free.
// Giving up while waiting sent nothing, and says so.
func (b *Bot) addMember(ctx context.Context, call phlo.Call) (phlo.Result, error) {
	select {
	case b.phloSlots <- struct{}{}:
		defer func() { <-b.phloSlots }()
	case <-ctx.Done():
		return phlo.Result{}, &phlo.RequestError{Op: "call", Sent: false, Err: ctx.Err()}
	}
	return b.phlo.AddMember(ctx, call)
}

func auditStatus(o outcome) store.AddStatus {
	switch o.status {
	case outcomeDialled:
		return store.StatusDialled
	case outcomeFailed:
		return store.StatusFailed
	}
	return store.StatusUnknown
}
