package conference

import (
	"fmt"
)

// member sends the request's verb (hold, unhold, hangup) to each target,
// on the bridge each was added through. Only people this place added can
// be acted on: a member exists only on the call that dialled them, and the
// address must be exactly the one dialled.
func (j *job) member() {
	s, req := j.s, j.req
	if !req.Verb.Member() || req.Verb == VerbAbortTransfer {
		j.refuse(fmt.Errorf("conference: %q is not a member action", req.Verb))
		return
	}
	if !j.allowed() {
		return
	}
	rows, err := s.Roster(j.prep, req.Place)
	if err != nil {
		j.refuse(err)
		return
	}
	var found []RosterEntry
	var unreachable []Unreachable
	seen := map[string]bool{}
	for _, t := range req.Targets {
		row, ok := find(rows, t)
		if !ok {
			unreachable = append(unreachable, Unreachable{Target: t, Err: &NotOnRosterError{Target: t}})
			continue
		}
		if k := row.Bridge + " " + row.Party.Address.String(); !seen[k] {
			seen[k] = true
			found = append(found, row)
		}
	}
	if len(found) == 0 {
		j.refuse(&NobodyToDialError{Unreachable: unreachable})
		return
	}
	j.releasePrep()
	parties := make([]Party, len(found))
	for i, r := range found {
		parties[i] = r.Party
	}
	j.rep.Announce(j.ctx, Announcement{
		Request: req, Verb: req.Verb, Bridge: j.commonBridge(found), ManyBridges: s.bridges.Many(),
		Parties: parties, Unreachable: unreachable,
	})
	j.sendAll(parties, func(i int, p Party) (Entry, Command) {
		row := found[i]
		b := j.bridgeNamed(row.Bridge)
		e := Entry{
			ID: fmt.Sprintf("%s/%d", req.ID, i), Request: req.ID, Verb: req.Verb, By: req.By, Place: req.Place,
			Bridge: b.Name, To: row.Party.Address.String(), ToUser: row.Party.User, Role: row.Role,
		}
		return e, Command{Bridge: b, Verb: req.Verb, Member: row.Party.Address}
	})
}

// act sends the request's verb to the party of one audit entry: a button
// on an outcome message or a roster line.
func (j *job) act() {
	req := j.req
	if !req.Verb.Member() || req.Verb == VerbAbortTransfer {
		j.refuse(fmt.Errorf("conference: %q is not a member action", req.Verb))
		return
	}
	orig, ok := j.entryOf(req.Of)
	if !ok {
		return
	}
	if !j.allowed() {
		return
	}
	j.releasePrep()
	p := partyOf(orig)
	b := j.bridgeNamed(orig.Bridge)
	j.sendAll([]Party{p}, func(int, Party) (Entry, Command) {
		e := Entry{
			ID: req.ID + "/0", Request: req.ID, Verb: req.Verb, By: req.By, Place: orig.Place,
			Bridge: b.Name, To: orig.To, ToUser: orig.ToUser, Role: orig.Role,
		}
		return e, Command{Bridge: b, Verb: req.Verb, Member: p.Address}
	})
}

// transfer hands the caller of the person who asks over to the one
// target: warm (they talk first) or cold. The destination obeys the
// destination rules and counts against the person's dial limit.
func (j *job) transfer() {
	req := j.req
	if !req.Verb.Transfer() {
		j.refuse(fmt.Errorf("conference: %q is not a transfer", req.Verb))
		return
	}
	if !j.allowed() {
		return
	}
	bridge, err := j.actionBridge()
	if err != nil {
		j.refuse(err)
		return
	}
	caller, ok := j.caller()
	if !ok {
		return
	}
	parties, unreachable, ok := j.dialable(nil)
	if !ok {
		return
	}
	if len(parties) != 1 {
		j.refuse(&TooManyPeopleError{Count: len(parties)})
		return
	}
	j.releasePrep()
	j.dial(req.Verb, bridge, caller, parties, unreachable)
}

// abortTransfer aborts a transfer the person who asks started: the member
// is their own number.
func (j *job) abortTransfer() {
	s, req := j.s, j.req
	if !j.allowed() {
		return
	}
	bridge, err := j.actionBridge()
	if err != nil {
		j.refuse(err)
		return
	}
	caller, ok := j.caller()
	if !ok {
		return
	}
	j.releasePrep()
	me := Party{Address: caller.Address, User: req.By.User}
	j.rep.Announce(j.ctx, Announcement{Request: req, Verb: VerbAbortTransfer, Bridge: bridge, ManyBridges: s.bridges.Many(), Parties: []Party{me}})
	j.sendAll([]Party{me}, func(int, Party) (Entry, Command) {
		e := Entry{
			ID: req.ID + "/0", Request: req.ID, Verb: VerbAbortTransfer, By: req.By, Place: req.Place, Bridge: bridge.Name,
			To: caller.Address.String(), ToUser: req.By.User, TriggerSource: caller.Address.String(),
		}
		return e, Command{Bridge: bridge, Verb: VerbAbortTransfer, Member: caller.Address}
	})
}

// actionBridge is the bridge a transfer goes to: the one the request
// names, else the one this place last added someone through (the caller
// being transferred is on that call), else the place's bridge.
func (j *job) actionBridge() (Bridge, error) {
	if j.req.Bridge != "" || !j.s.bridges.Many() {
		return j.s.bridgeFor(j.prep, j.req.Place, j.req.Bridge)
	}
	rows, err := j.s.Roster(j.prep, j.req.Place)
	if err != nil {
		return Bridge{}, err
	}
	if len(rows) > 0 {
		latest := rows[0]
		for _, r := range rows[1:] {
			if r.AddedAt.After(latest.AddedAt) {
				latest = r
			}
		}
		if b, ok := j.s.bridges.Get(latest.Bridge); ok {
			return b, nil
		}
	}
	return j.s.bridgeFor(j.prep, j.req.Place, "")
}

// bridgeNamed returns the bridge an entry was made on; one no longer
// configured falls back to the default, with a warning, rather than
// acting nowhere.
func (j *job) bridgeNamed(name string) Bridge {
	if b, ok := j.s.bridges.Get(name); ok {
		return b
	}
	j.log.Warn("an entry names a bridge that is no longer configured; using the default", "bridge", name)
	return j.s.bridges.Default()
}

// commonBridge is the bridge all rows share, or none.
func (j *job) commonBridge(rows []RosterEntry) Bridge {
	for _, r := range rows[1:] {
		if r.Bridge != rows[0].Bridge {
			return Bridge{}
		}
	}
	return j.bridgeNamed(rows[0].Bridge)
}
