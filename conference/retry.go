package conference

import (
	"errors"
)

// retryEntry sends one audited call again, on behalf of the person who
// pressed Retry: the same number, role and bridge, their own number as
// trigger_source, and every rule checked again (allow-lists, destination
// rules, their dial limit).
func (j *job) retryEntry() {
	s, req := j.s, j.req
	orig, ok := j.entryOf(req.Of)
	if !ok {
		return
	}
	if orig.Verb != VerbCall {
		j.refuse(ErrNotFound)
		return
	}
	if !j.allowed() {
		return
	}
	caller, ok := j.caller()
	if !ok {
		return
	}
	p := partyOf(orig)
	if p.Address.IsZero() {
		j.log.Error("the audit trail holds an address that does not parse", "audit_id", orig.ID)
		j.refuse(ErrNotFound)
		return
	}
	kept, denied := j.allowDestinations([]Party{p})
	if len(kept) == 0 {
		j.refuse(&NobodyToDialError{Unreachable: denied})
		return
	}
	j.releasePrep()
	if !j.waitOwnLimit(kept) {
		return
	}
	b := j.bridgeNamed(orig.Bridge)
	j.rep.Announce(j.ctx, Announcement{Request: req, Verb: VerbCall, Role: orig.Role, Bridge: b, ManyBridges: s.bridges.Many(), Parties: kept})
	j.sendAll(kept, func(int, Party) (Entry, Command) {
		e := Entry{
			ID: req.ID + "/0", Request: req.ID, Verb: VerbCall, By: req.By, Place: orig.Place, Bridge: b.Name,
			To: orig.To, ToUser: orig.ToUser, Role: orig.Role, TriggerSource: caller.Address.String(),
		}
		return e, Command{Bridge: b, Verb: VerbCall, To: p.Address, Role: orig.Role, TriggerSource: caller.Address}
	})
}

// retryRequest runs request Of again for whatever it did not send: the
// people of an add that was interrupted before they were dialled. Those it
// reached, or may have reached, are not dialled again.
func (j *job) retryRequest() {
	s := j.s
	orig, _, err := s.store.FindRequest(j.prep, j.req.Of)
	switch {
	case errors.Is(err, ErrNotFound) || (err == nil && orig.Place.Team != j.req.Place.Team):
		j.refuse(ErrNotFound)
		return
	case err != nil:
		j.refuse(&NotRecordedError{Err: err})
		return
	}
	earlier, err := s.store.Entries(j.prep, EntryQuery{Team: orig.Place.Team, Request: orig.ID, Limit: 1000})
	if err != nil {
		j.refuse(&NotRecordedError{Err: err})
		return
	}
	// The retry is the presser's, in the original request's place, with
	// the original's targets, role, note and bridge.
	again := j.req
	again.Place = orig.Place
	again.Targets, again.Role, again.Note, again.Bridge, again.Verb = orig.Targets, orig.Role, orig.Note, orig.Bridge, orig.Verb
	j.req = again
	switch orig.Kind {
	case KindAdd, KindRetryRequest:
		j.add(earlier)
	case KindMember:
		j.req.Targets = notSentTargets(orig.Targets, earlier)
		j.member()
	case KindTransfer:
		if len(earlier) > 0 {
			j.refuse(&NobodyToDialError{})
			return
		}
		j.transfer()
	default:
		j.refuse(ErrNotFound)
	}
}
