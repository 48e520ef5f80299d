package conference

import (
	"errors"
	"time"
)

// send makes one audited PHLO request: it waits for a sending slot,
// records the entry, asks Plivo, and records the outcome. Nothing is sent
// unless its entry was written: a request the audit trail cannot show
// must not happen. sent is false when nothing reached Plivo because the
// service stopped or the request's time ran out while it waited its turn;
// the caller reports those together.
func (j *job) send(e Entry, cmd Command) (o Outcome, sent bool) {
	s := j.s
	wait, endWait := s.untilStop(j.ctx)
	err := s.sending.Acquire(wait, 1)
	endWait()
	if err != nil {
		return NotSent(CauseShutdown), false
	}
	defer s.sending.Release(1)

	s.intake.yield(j.ctx)
	log := j.log.With("audit_id", e.ID, "verb", e.Verb, "bridge", e.Bridge, "to", cmd.To, "member", cmd.Member,
		"to_user", e.ToUser, "role", e.Role, "trigger_source", cmd.TriggerSource)
	if err := s.store.Begin(j.ctx, e); err != nil {
		s.noteStore(err)
		if errors.Is(err, ErrDuplicate) {
			log.Warn("entry recorded already; not sending it again")
			return Outcome{Status: StatusUnknown, Cause: CauseStopped}, true
		}
		log.Error("could not record the request; not sending it", "err", err)
		return NotSent(CauseNotRecorded), true
	}
	s.noteStore(nil)

	start := s.clock.Now()
	o = s.calls.Send(j.ctx, s.stop, cmd)
	if o.Status == StatusUnknown && j.ctx.Err() != nil && s.stopping() {
		// The shutdown timeout cut it short: say so, not "timeout".
		o.Cause = CauseStopped
	}
	took := s.clock.Now().Sub(start)
	s.obs.Sent(e.Verb, e.Role, o, took)

	fctx, cancel := finalContext(j.ctx)
	defer cancel()
	if err := s.store.Finish(fctx, e.ID, o); err != nil {
		s.noteStore(err)
		log.Error("could not record the outcome", "err", err)
	}
	msg := "action"
	if e.Verb == VerbCall {
		msg = "add"
	}
	log.Info(msg, "outcome", o.Status, "cause", o.Cause, "api_id", o.APIID, "http_status", o.HTTPStatus,
		"attempts", o.Attempts, "duration", took.Round(time.Millisecond), "since_accepted", s.clock.Now().Sub(j.req.Accepted).Round(time.Millisecond))
	return o, true
}
