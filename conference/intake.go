package conference

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Receipt is what Submit tells the front end, which acknowledges the
// request with it.
type Receipt struct {
	// Request is the request as accepted, with its ID.
	Request Request
	// Position is the request's place in line: 0 when it starts at once.
	Position int
}

// submission is one Submit waiting for the group commit.
type submission struct {
	req  Request
	done chan submitted
}

type submitted struct {
	adm Admission
	err error
}

// maxBatch bounds one group commit; a burst larger than this commits in
// several transactions.
const maxBatch = 256

// Submit accepts a request: it records it durably, once per Key, and
// queues it. Front ends acknowledge the request only after Submit
// returns, so that nothing acknowledged can be lost: if this process dies,
// another instance (or this one restarted) takes over what it accepted and
// tells the people concerned.
//
// Errors: ErrDuplicate (the key was accepted before: do nothing),
// *QueueFullError, ErrShuttingDown, *NotRecordedError (the database
// failed; nothing will happen, so say so).
func (s *Service) Submit(ctx context.Context, req Request) (Receipt, error) {
	return s.Await(ctx, s.enqueue(ctx, req, false))
}

// Pending is a request handed to the group commit (Arrival.Enqueue), not
// yet answered: Await gives its answer.
type Pending struct {
	sub      submission
	position int
	err      error
}

// Arrival is a request a front end has read and is about to submit
// (Expect): work waits for it as for one being recorded.
type Arrival struct {
	s    *Service
	once sync.Once
}

// Expect tells the service that a request has arrived and will be
// submitted soon (a front end read it and is parsing it): work waits for
// it as for one being recorded, so a burst still arriving holds work back
// from its first envelope, not from its first commit. Submit it with the
// Arrival's Enqueue, or Drop it.
func (s *Service) Expect() *Arrival {
	s.intake.arrive()
	return &Arrival{s: s}
}

// Enqueue is the first half of Submit for the request expected: it hands
// req to the group commit and returns at once. A front end that reads a
// burst of requests enqueues each as it reads it and awaits their answers
// in order on another goroutine (Await), so that reading the burst never
// waits for a commit, and the commit never waits for the reading.
func (a *Arrival) Enqueue(ctx context.Context, req Request) Pending {
	p := a.s.enqueue(ctx, req, true)
	a.Drop()
	return p
}

// Drop ends the expectation: the request will not be submitted, or has
// been. Dropping twice is harmless.
func (a *Arrival) Drop() { a.once.Do(a.s.intake.leave) }

// enqueue takes a place in line for req and hands it to the group commit;
// expected says an Arrival already counted it as arrived.
func (s *Service) enqueue(ctx context.Context, req Request, expected bool) Pending {
	if !s.running.Load() || s.stopping() {
		return Pending{err: ErrShuttingDown}
	}
	if req.ID == "" {
		req.ID = NewRequestID()
	}
	if req.Key == "" {
		req.Key = "request:" + req.ID
	}
	req.Accepted = s.clock.Now().UTC().Truncate(time.Millisecond)
	n := s.queued.Add(1)
	if n > int64(s.cfg.MaxQueued) {
		s.queued.Add(-1)
		s.obs.Denied("queue_full")
		return Pending{err: &QueueFullError{Waiting: int(n - 1)}}
	}
	position := max(0, int(s.unprepared.Add(1))-s.cfg.MaxPreparing)
	s.active.Add(1)

	sub := submission{req: req, done: make(chan submitted, 1)}
	if expected {
		s.intake.enter()
	} else {
		s.intake.arrive()
	}
	select {
	case s.submissions <- sub:
		return Pending{sub: sub, position: position}
	case <-ctx.Done():
		s.intake.leave()
		s.unqueue()
		return Pending{err: &NotRecordedError{Err: ctx.Err()}}
	case <-s.stop:
		s.intake.leave()
		s.unqueue()
		return Pending{err: ErrShuttingDown}
	}
}

// Await is the second half of Submit: it waits for p's commit and answers
// as Submit does.
func (s *Service) Await(ctx context.Context, p Pending) (Receipt, error) {
	if p.err != nil {
		return Receipt{}, p.err
	}
	var res submitted
	select {
	case res = <-p.sub.done:
	case <-ctx.Done():
		// The commit may still happen; the commit loop then runs the
		// request as usual, so the person hears of it either way.
		return Receipt{}, &NotRecordedError{Err: ctx.Err()}
	}
	switch {
	case res.err != nil:
		return Receipt{}, res.err
	case res.adm.Acceptance == Duplicate:
		return Receipt{}, ErrDuplicate
	case res.adm.Acceptance == Adopted:
		return Receipt{Request: res.adm.Request, Position: p.position}, nil
	}
	s.obs.QueueDepth(int(s.queued.Load()))
	return Receipt{Request: p.sub.req, Position: p.position}, nil
}

// commitLoop is the group commit: it takes every submission waiting,
// records them in one transaction, answers each, and starts the accepted
// ones. While a commit runs, the next batch gathers, so a burst costs a
// few transactions, not one per request.
func (s *Service) commitLoop() {
	batch := make([]submission, 0, maxBatch)
	for {
		batch = batch[:0]
		select {
		case sub := <-s.submissions:
			batch = append(batch, sub)
		case <-s.stop:
			s.refuseWaiting()
			return
		}
	gather:
		for len(batch) < maxBatch {
			select {
			case sub := <-s.submissions:
				batch = append(batch, sub)
			default:
				break gather
			}
		}
		s.commit(batch)
	}
}

// commit records one batch and starts what it accepted.
func (s *Service) commit(batch []submission) {
	reqs := make([]Request, len(batch))
	for i, sub := range batch {
		reqs[i] = sub.req
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	adms, err := s.store.Accept(ctx, s.instance, s.clock.Now().Add(-s.cfg.DeadAfter), reqs)
	cancel()
	defer func() {
		for range batch {
			s.intake.leave()
		}
	}()
	s.noteStore(err)
	if err == nil && len(adms) != len(batch) {
		err = errors.New("store answered for a different number of requests")
	}
	if err != nil {
		s.log.Error("could not record requests; refusing them", "requests", len(batch), "err", err)
		for _, sub := range batch {
			s.unqueue()
			sub.done <- submitted{err: &NotRecordedError{Err: err}}
		}
		return
	}
	for i, sub := range batch {
		adm := adms[i]
		switch adm.Acceptance {
		case Accepted:
			s.startRequest(sub.req)
		case Adopted:
			// Slack re-delivered what a dead instance accepted: whatever
			// it did not send is ours to send now.
			s.log.Warn("adopted a re-delivered request of a stopped instance", "request_id", adm.Request.ID, "state", adm.State)
			s.startAdopted(adm.Request)
		default:
			s.unqueue()
		}
		sub.done <- submitted{adm: adm}
	}
}

// refuseWaiting answers the submissions that arrived as Run stopped.
func (s *Service) refuseWaiting() {
	for {
		select {
		case sub := <-s.submissions:
			s.intake.leave()
			s.unqueue()
			sub.done <- submitted{err: ErrShuttingDown}
		default:
			return
		}
	}
}

// unqueue gives back the counts Submit took, for a request that will not
// run.
func (s *Service) unqueue() {
	s.queued.Add(-1)
	s.unprepared.Add(-1)
	s.active.Add(-1)
}

// startRequest runs an accepted request in the background; the counts
// taken in Submit are released when it ends.
func (s *Service) startRequest(req Request) {
	s.jobs.Add(1)
	go func() {
		defer s.jobs.Done()
		defer func() {
			s.queued.Add(-1)
			s.active.Add(-1)
			s.obs.QueueDepth(int(s.queued.Load()))
		}()
		s.work(req)
	}()
}

// startAdopted runs a re-delivered request a dead instance accepted: from
// the start if it sent nothing, else it is explained like any other
// orphan, since sending again could ring someone twice.
func (s *Service) startAdopted(req Request) {
	s.jobs.Add(1)
	go func() {
		defer s.jobs.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		entries, err := s.store.Entries(ctx, EntryQuery{Team: req.Place.Team, Request: req.ID, Limit: 1})
		cancel()
		if err == nil && len(entries) == 0 {
			s.startRequest(req) // which takes over the counts
			return
		}
		s.queued.Add(-1)
		s.unprepared.Add(-1)
		defer s.active.Add(-1)
		s.explainInterrupted(req)
	}()
}
