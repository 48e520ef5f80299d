package conference

import "errors"

// The steps most kinds of request begin with. Each refuses the request
// (and reports why) when it fails, and says so with false, so a request
// reads as its list of steps.

// allowed checks the allow-lists for the person who asks, where they ask.
func (j *job) allowed() bool {
	if err := j.s.policy.AllowRequester(j.prep, j.s.cfg.Groups, j.req.Place, j.req.By); err != nil {
		j.refuse(err)
		return false
	}
	return true
}

// caller finds the number calls the person who asks start come from.
func (j *job) caller() (OwnNumber, bool) {
	n, err := j.s.ownNumber(j.prep, j.req.By)
	if err != nil {
		j.refuse(callerError(err))
		return OwnNumber{}, false
	}
	return n, true
}

// entryOf finds the audit entry a button or retry refers to; one of another
// workspace does not exist for this request.
func (j *job) entryOf(id string) (Entry, bool) {
	e, err := j.s.store.FindEntry(j.prep, id)
	switch {
	case errors.Is(err, ErrNotFound) || (err == nil && e.Place.Team != j.req.Place.Team):
		j.refuse(ErrNotFound)
		return Entry{}, false
	case err != nil:
		j.refuse(&NotRecordedError{Err: err})
		return Entry{}, false
	}
	return e, true
}

// dialable resolves the request's targets into the parties that may be
// dialled: without those an earlier run reached (exclude) and those the
// destination rules refuse, who come back as unreachable with the reason.
// Nobody left refuses the request.
func (j *job) dialable(exclude []Entry) ([]Party, []Unreachable, bool) {
	parties, unreachable, err := j.s.resolve(j.prep, j.req.Place.Team, j.req.Targets)
	if err != nil {
		j.refuse(err)
		return nil, nil, false
	}
	if j.prep.Err() != nil {
		j.interrupted(j.req.Targets)
		return nil, nil, false
	}
	parties, denied := j.allowDestinations(withoutSent(parties, exclude))
	unreachable = append(unreachable, denied...)
	if len(parties) == 0 {
		j.refuse(&NobodyToDialError{Unreachable: unreachable})
		return nil, nil, false
	}
	return parties, unreachable, true
}
