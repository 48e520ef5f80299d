package conference

import "time"

// waitOwnLimit takes n dials from the person's allowance, which the store
// keeps so that it holds across replicas. Over it, the request waits,
// visibly and holding nothing that others need; a wait longer than the
// request may last is refused instead. false means the request ended
// (and was reported).
func (j *job) waitOwnLimit(parties []Party) bool {
	s := j.s
	n := min(len(parties), MaxPeople)
	interval := time.Minute / time.Duration(s.cfg.DialsPerMinute)
	key := j.req.By.Key()
	wait, err := s.store.Reserve(j.ctx, key, n, interval, MaxPeople, s.clock.Now())
	s.noteStore(err)
	if err != nil {
		j.refuse(&NotRecordedError{Err: err})
		return false
	}
	if wait <= 0 {
		return true
	}
	giveBack := func() {
		fctx, cancel := finalContext(j.ctx)
		defer cancel()
		if err := s.store.Release(fctx, key, n, interval); err != nil {
			j.log.Warn("could not give back dials not used", "err", err)
		}
	}
	// The request's deadline is real time, whatever clock paces limits.
	if dl, ok := j.ctx.Deadline(); ok && time.Until(dl) < wait+10*time.Second {
		giveBack()
		j.refuse(&LimitError{PerMinute: s.cfg.DialsPerMinute, Wait: wait})
		return false
	}
	// The timer starts before the person is told, so that a test clock
	// moved on after the report fires it.
	ready := s.clock.After(wait)
	j.log.Info("request waits for its person's limit", "wait", wait)
	j.rep.Waiting(j.ctx, Wait{PerMinute: s.cfg.DialsPerMinute, Delay: wait})
	select {
	case <-ready:
		return true
	case <-s.stop:
	case <-j.ctx.Done():
	}
	giveBack()
	j.interrupted(targetsOf(parties))
	return false
}
