package conference

import (
	"context"
	"errors"
	"log/slog"
)

// work runs one accepted request to its end: whatever happens, its people
// hear of it and it is marked done.
func (s *Service) work(req Request) {
	// Recording what is still arriving comes first, before even this
	// request's own set-up.
	s.intake.yield(s.stopCtx)
	ctx, cancel := s.requestContext()
	defer cancel()
	rep := s.replies.For(req)
	log := s.log.With("request_id", req.ID, "kind", req.Kind, "team", req.Place.Team, "user", req.By.User, "channel", req.Place.Channel)
	defer func() {
		fctx, fcancel := finalContext(ctx)
		defer fcancel()
		rep.Done(fctx)
		s.markDone(fctx, req.ID, log)
	}()

	// Preparing (rules, look-ups) holds a slot; ending the wait for it at
	// stop is what lets a rolling restart take seconds.
	prep, endPrep := s.untilStop(ctx)
	defer endPrep()
	if err := s.preparing.Acquire(prep, 1); err != nil {
		s.unprepared.Add(-1)
		s.notStarted(ctx, req, rep, log)
		return
	}
	j := &job{s: s, req: req, rep: rep, log: log, ctx: ctx, prep: prep}
	j.releasePrep = func() {
		if !j.prepReleased {
			j.prepReleased = true
			s.preparing.Release(1)
			s.unprepared.Add(-1)
		}
	}
	defer j.releasePrep()

	switch req.Kind {
	case KindAdd:
		j.add(nil)
	case KindRetryRequest:
		j.retryRequest()
	case KindMember:
		j.member()
	case KindAct:
		j.act()
	case KindTransfer:
		j.transfer()
	case KindAbortTransfer:
		j.abortTransfer()
	case KindRetryEntry:
		j.retryEntry()
	default:
		log.Error("request of an unknown kind; nothing done")
		rep.Refused(ctx, errors.New("conference: unknown kind of request"))
	}
}

// job is one request being worked on.
type job struct {
	s   *Service
	req Request
	rep Reporter
	log *slog.Logger
	// ctx bounds the whole request; prep also ends at stop, and bounds
	// everything before the first PHLO request.
	ctx, prep    context.Context
	releasePrep  func()
	prepReleased bool
}

// notStarted explains a request that never got to start: a restart, or a
// queue too long to get through in time.
func (s *Service) notStarted(ctx context.Context, req Request, rep Reporter, log *slog.Logger) {
	cause := CauseShutdown
	if !s.stopping() {
		cause = CauseBusy
		s.obs.Denied("queue_timeout")
	}
	log.Warn("request ended before it started", "cause", cause)
	rep.Interrupted(ctx, Interruption{Request: req, Cause: cause, NotSent: req.Targets})
}

// stopped reports whether prep ended because the service is stopping
// (rather than the request's own deadline).
func (j *job) stopped() bool { return j.s.stopping() && j.ctx.Err() == nil }

// interrupted ends the request before anything (more) was sent.
func (j *job) interrupted(notSent []Target) {
	cause := CauseShutdown
	if !j.stopped() {
		cause = CauseBusy
	}
	j.log.Warn("request ended before it was sent", "cause", cause)
	j.rep.Interrupted(j.ctx, Interruption{Request: j.req, Cause: cause, NotSent: notSent})
}

// refuse ends the request with nothing sent, counting the refusal and
// recording denials in the audit trail.
func (j *job) refuse(err error) {
	if j.prep.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		j.interrupted(j.req.Targets)
		return
	}
	reason := refusalReason(err)
	j.s.obs.Denied(reason)
	if d, ok := AsDenial(err); ok && d.Target == (Target{}) {
		j.s.recordDenial(j.ctx, j.req, j.req.ID+"/denied", d, j.log)
	}
	j.log.Info("request refused", "reason", reason, "err", err)
	j.rep.Refused(j.ctx, err)
}

// refusalReason is a short label for metrics.
func refusalReason(err error) string {
	var (
		d   *Denial
		cu  *CallerUnknownError
		nd  *NobodyToDialError
		tm  *TooManyPeopleError
		le  *LimitError
		ub  *UnknownBridgeError
		nr  *NotRecordedError
		nor *NotOnRosterError
	)
	switch {
	case errors.As(err, &d):
		return string(d.Rule)
	case errors.As(err, &cu):
		return "caller_unknown"
	case errors.As(err, &nd):
		return "nobody_to_dial"
	case errors.As(err, &tm):
		return "too_many_people"
	case errors.As(err, &le):
		return "rate_limit"
	case errors.As(err, &ub):
		return "unknown_bridge"
	case errors.As(err, &nr):
		return "not_recorded"
	case errors.As(err, &nor):
		return "not_on_roster"
	}
	return "error"
}

// recordDenial writes a refusal to the audit trail.
func (s *Service) recordDenial(ctx context.Context, req Request, id string, d *Denial, log *slog.Logger) {
	e := Entry{
		ID: id, Request: req.ID, Verb: verbOf(req), By: req.By, Place: req.Place, Role: req.Role,
		Status: StatusDenied, Rule: d.Rule, Detail: "refused by rule " + string(d.Rule),
		To: d.Target.Address.String(), ToUser: d.Target.User,
	}
	err := s.store.Begin(ctx, e)
	s.noteStore(err)
	if err != nil && !errors.Is(err, ErrDuplicate) {
		log.Error("could not record a denial", "err", err)
	}
}

// verbOf is the verb a request's entries carry.
func verbOf(req Request) Verb {
	switch req.Kind {
	case KindMember, KindAct, KindTransfer:
		return req.Verb
	case KindAbortTransfer:
		return VerbAbortTransfer
	}
	return VerbCall
}

// markDone records that a request is finished.
func (s *Service) markDone(ctx context.Context, id string, log *slog.Logger) {
	err := s.store.SetState(ctx, id, StateDone)
	s.noteStore(err)
	if err != nil {
		log.Error("could not mark the request done; another instance may explain it again later", "err", err)
	}
}

// untilStop derives a context that also ends when the service stops.
func (s *Service) untilStop(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	unregister := context.AfterFunc(s.stopCtx, cancel)
	return ctx, func() { unregister(); cancel() }
}
