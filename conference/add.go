package conference

import (
	"fmt"
	"sync"
)

// dialsPerRequest bounds the PHLO requests one request makes at once, so
// that one large request cannot take every sending slot.
const dialsPerRequest = 4

// add dials the request's targets. exclude holds entries of an earlier
// run of the same request (a retry of an interrupted one): parties they
// reached are not dialled again.
func (j *job) add(exclude []Entry) {
	s, req := j.s, j.req
	if !j.allowed() {
		return
	}
	bridge, err := s.bridgeFor(j.prep, req.Place, req.Bridge)
	if err != nil {
		j.refuse(err)
		return
	}
	caller, ok := j.caller()
	if !ok {
		return
	}
	parties, unreachable, ok := j.dialable(exclude)
	if !ok {
		return
	}
	j.releasePrep()
	j.dial(VerbCall, bridge, caller, parties, unreachable)
}

// dial waits for the person's own limit, announces, and sends verb (a
// call or a transfer) to each party, from the caller's own number.
func (j *job) dial(verb Verb, bridge Bridge, caller OwnNumber, parties []Party, unreachable []Unreachable) {
	req := j.req
	if !j.waitOwnLimit(parties) {
		return
	}
	j.rep.Announce(j.ctx, Announcement{
		Request: req, Verb: verb, Role: roleOf(req), Bridge: bridge, ManyBridges: j.s.bridges.Many(),
		Parties: parties, Unreachable: unreachable,
	})
	j.sendAll(parties, func(i int, p Party) (Entry, Command) {
		e := Entry{
			ID: fmt.Sprintf("%s/%d", req.ID, i), Request: req.ID, Verb: verb, By: req.By, Place: req.Place,
			Bridge: bridge.Name, To: p.Address.String(), ToUser: p.User, Role: roleOf(req),
			TriggerSource: caller.Address.String(),
		}
		return e, Command{Bridge: bridge, Verb: verb, To: p.Address, Role: roleOf(req), TriggerSource: caller.Address}
	})
}

// sendAll sends one PHLO request per party, a few at a time, and reports
// each outcome; parties whose turn never came are reported together.
func (j *job) sendAll(parties []Party, build func(int, Party) (Entry, Command)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, dialsPerRequest)
	var mu sync.Mutex
	var notSent []Target
	for i, p := range parties {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			e, cmd := build(i, p)
			o, sent := j.send(e, cmd)
			if !sent {
				mu.Lock()
				notSent = append(notSent, targetOf(p))
				mu.Unlock()
				return
			}
			e.Status, e.APIID, e.Cause = o.Status, o.APIID, o.Cause
			j.rep.Outcome(j.ctx, PartyOutcome{Request: j.req, Entry: e, Party: p, Bridge: cmd.Bridge, ManyBridges: j.s.bridges.Many(), Outcome: o})
		})
	}
	wg.Wait()
	if len(notSent) > 0 {
		j.interrupted(notSent)
	}
}

// roleOf is the request's role, agent unless it says otherwise.
func roleOf(req Request) Role {
	if req.Role.Valid() {
		return req.Role
	}
	return RoleAgent
}

// callerError marks a failure to find the person's own number as theirs.
func callerError(err error) error {
	if na, ok := err.(*NoAddressError); ok {
		return &CallerUnknownError{NoAddressError: na}
	}
	return err
}

// withoutSent drops the parties an earlier run already sent a request
// for (accepted, pending or unknown): dialling them again could ring them
// twice.
func withoutSent(parties []Party, earlier []Entry) []Party {
	if len(earlier) == 0 {
		return parties
	}
	sent := map[string]bool{}
	for _, e := range earlier {
		if e.Verb == VerbCall && (e.Status == StatusAccepted || e.Status == StatusPending || e.Status == StatusUnknown) {
			sent[e.To] = true
		}
	}
	var out []Party
	for _, p := range parties {
		if !sent[p.Address.String()] {
			out = append(out, p)
		}
	}
	return out
}

func targetsOf(parties []Party) []Target {
	ts := make([]Target, len(parties))
	for i, p := range parties {
		ts[i] = targetOf(p)
	}
	return ts
}
