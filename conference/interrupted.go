package conference

import (
	"context"
	"time"
)

// explainInterrupted speaks for a request whose instance stopped before
// finishing it: requests it may have sent stay "outcome unknown", and
// everyone it did not reach is listed with a Retry for them. It then marks
// the request done.
func (s *Service) explainInterrupted(req Request) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log := s.log.With("request_id", req.ID, "team", req.Place.Team, "user", req.By.User, "channel", req.Place.Channel)
	rep := s.replies.For(req)
	entries, err := s.store.Entries(ctx, EntryQuery{Team: req.Place.Team, Request: req.ID, Limit: 1000})
	if err != nil {
		log.Error("could not read what a stopped instance did; will try again", "err", err)
		return
	}
	for i, e := range entries {
		if e.Status != StatusPending {
			continue
		}
		o := Outcome{Status: StatusUnknown, Cause: CauseStopped}
		if err := s.store.Finish(ctx, e.ID, o); err != nil {
			log.Warn("could not record an abandoned request as unknown", "audit_id", e.ID, "err", err)
		}
		entries[i].Status, entries[i].Cause = o.Status, o.Cause
	}
	rep.Interrupted(ctx, Interruption{Request: req, Cause: CauseInterrupted, Sent: sentEntries(entries), NotSent: notSentTargets(req.Targets, entries)})
	rep.Done(ctx)
	s.markDone(ctx, req.ID, log)
}

// sentEntries keeps the entries of PHLO requests that reached Plivo or may
// have.
func sentEntries(es []Entry) []Entry {
	var out []Entry
	for _, e := range es {
		if e.Status == StatusAccepted || e.Status == StatusUnknown || e.Status == StatusPending {
			out = append(out, e)
		}
	}
	return out
}

// notSentTargets keeps the targets no sent entry covers. A group is kept
// whenever the request had one: who of it was reached is not known without
// reading it again, and a retry skips those who were.
func notSentTargets(targets []Target, es []Entry) []Target {
	sent := sentEntries(es)
	var out []Target
	for _, t := range targets {
		covered := false
		for _, e := range sent {
			if t.Group == "" && t.Is(partyOf(e)) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, t)
		}
	}
	return out
}
