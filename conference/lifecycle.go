package conference

import (
	"context"
	"errors"
	"time"
)

// Run serves until ctx ends, telling people what happens through replies. It keeps this instance's heartbeat, takes
// over the requests of dead instances, prunes the store, and runs the
// group commit behind Submit. When ctx ends it takes no new work, ends at
// once every request that has not reached Plivo (telling its people, with
// Retry), waits up to ShutdownTimeout for PHLO requests already sent, and
// returns nil once every request it owns is done.
func (s *Service) Run(ctx context.Context, replies Replies) error {
	if replies == nil {
		return errors.New("conference: Run needs Replies")
	}
	if s.replies != nil {
		return errors.New("conference: Run called twice")
	}
	s.replies = replies
	if err := s.store.Heartbeat(ctx, s.instance, s.clock.Now()); err != nil {
		return &NotRecordedError{Err: err}
	}
	if n, err := s.store.AbandonPending(ctx, s.clock.Now().Add(-5*time.Minute)); err != nil {
		s.log.Warn("could not mark adds left pending by a stopped bot", "err", err)
	} else if n > 0 {
		s.log.Warn("marked adds left pending by a stopped bot as outcome unknown", "adds", n)
	}

	s.running.Store(true)
	close(s.started)
	// The loops are tracked like requests, so the WaitGroup cannot reach
	// zero while one of them may still start a request.
	s.jobs.Add(1)
	go func() { defer s.jobs.Done(); s.commitLoop() }()
	s.jobs.Add(1)
	go func() { defer s.jobs.Done(); s.maintain(ctx) }()

	<-ctx.Done()
	s.log.Info("stopping: no new work; ending requests that have not reached Plivo")
	s.stopOnce.Do(func() { close(s.stop); s.stopCancel() })

	done := make(chan struct{})
	go func() { s.jobs.Wait(); close(done) }()
	select {
	case <-done:
	case <-s.clock.After(s.cfg.ShutdownTimeout):
		s.log.Warn("stopping: PHLO requests still unanswered after the shutdown timeout; giving up on them", "requests", s.Busy())
		s.hardCancel()
		<-done
	}
	s.hardCancel()

	lctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.store.Leave(lctx, s.instance); err != nil {
		s.log.Warn("could not deregister this instance; others will take over after it looks dead", "err", err)
	}
	s.log.Info("stopped")
	return nil
}

// maintain beats the heart, adopts the requests of dead instances and
// prunes the store until stop.
func (s *Service) maintain(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	beat := s.clock.After(s.cfg.HeartbeatEvery)
	adopt := s.clock.After(0)
	prune := s.clock.After(time.Minute)
	for {
		select {
		case <-s.stop:
			return
		case <-beat:
			bctx, cancel := context.WithTimeout(ctx, s.cfg.HeartbeatEvery)
			err := s.store.Heartbeat(bctx, s.instance, s.clock.Now())
			cancel()
			s.noteStore(err)
			if err != nil {
				s.log.Error("could not record this instance's heartbeat; others may take over its requests", "err", err)
			}
			beat = s.clock.After(s.cfg.HeartbeatEvery)
		case <-adopt:
			s.adoptOrphans(ctx)
			adopt = s.clock.After(s.cfg.AdoptEvery)
		case <-prune:
			pctx, cancel := context.WithTimeout(ctx, time.Minute)
			n, err := s.store.Prune(pctx, s.cfg.Retention, s.clock.Now())
			cancel()
			if err != nil {
				s.log.Warn("could not prune the database", "err", err)
			} else if n != (Pruned{}) {
				s.log.Info("pruned the database", "entries", n.Entries, "requests", n.Requests, "claims", n.Claims, "instances", n.Instances)
			}
			prune = s.clock.After(s.cfg.PruneEvery)
		}
	}
}

// adoptOrphans takes over the unfinished requests of dead instances and
// tells their people what became of them.
func (s *Service) adoptOrphans(ctx context.Context) {
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	orphans, err := s.store.Adopt(actx, s.instance, s.clock.Now().Add(-s.cfg.DeadAfter))
	if err != nil {
		s.log.Error("could not look for requests of stopped instances", "err", err)
		return
	}
	for _, o := range orphans {
		s.log.Warn("took over a request of a stopped instance", "request_id", o.Request.ID, "state", o.State)
		req := o.Request
		s.track(func() { s.explainInterrupted(req) })
	}
}

// requestContext bounds one request: RequestTimeout from now, and the
// hard stop once the shutdown timeout has passed.
func (s *Service) requestContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(s.hardCtx, s.cfg.RequestTimeout)
}

// finalContext outlives ctx by a few seconds, for the last word and the
// last record after ctx ended.
func finalContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
}
