package conference

import (
	"context"
	"slices"
	"time"
)

// PartyState is the last thing mpc-bot knows of a party on the call. It
// is what mpc-bot did, not a live view: PHLO offers no member list, so
// someone who hung up by themselves still shows as dialled.
type PartyState string

// The states a roster shows.
const (
	PartyDialling      PartyState = "dialling"
	PartyDialled       PartyState = "dialled"
	PartyDialFailed    PartyState = "dial failed"
	PartyUnknown       PartyState = "outcome unknown"
	PartyOnHold        PartyState = "on hold"
	PartyOffHold       PartyState = "taken off hold"
	PartyHungUp        PartyState = "hung up"
	PartyTransferredIn PartyState = "transferred in"
)

// RosterEntry is one party a place pulled onto a bridge.
type RosterEntry struct {
	Party  Party
	Role   Role
	Bridge string
	// AddedBy and AddedAt say who pulled them in and when; Call is that
	// entry (buttons act on it).
	AddedBy Person
	AddedAt time.Time
	Call    Entry
	// State is the last thing mpc-bot knows; ChangedBy and ChangedAt say
	// who did it and when.
	State     PartyState
	ChangedBy Person
	ChangedAt time.Time
}

// maxRosterEntries bounds the entries a roster reads.
const maxRosterEntries = 1000

// Roster lists whom place pulled onto a bridge within the roster window,
// oldest first. A place with a thread sees that thread's parties and the
// channel's own (slash commands, which cannot be typed in threads, add at
// channel level).
func (s *Service) Roster(ctx context.Context, place Place) ([]RosterEntry, error) {
	entries, err := s.store.Entries(ctx, EntryQuery{
		Team: place.Team, Channel: place.Channel, Since: s.clock.Now().Add(-s.cfg.RosterWindow), Limit: maxRosterEntries,
	})
	if err != nil {
		return nil, &NotRecordedError{Err: err}
	}
	return fold(entries, place.Thread), nil
}

// fold replays entries (newest first, as the store returns them) into a
// roster.
func fold(entries []Entry, thread string) []RosterEntry {
	var rows []RosterEntry
	index := map[string]int{} // bridge + address → row
	for _, e := range slices.Backward(entries) {
		if thread != "" && e.Place.Thread != "" && e.Place.Thread != thread {
			continue
		}
		key := e.Bridge + " " + e.To
		i, known := index[key]
		switch {
		case e.Verb == VerbCall && e.Status != StatusDenied:
			row := RosterEntry{
				Party: partyOf(e), Role: e.Role, Bridge: e.Bridge, AddedBy: e.By, AddedAt: e.Created, Call: e,
				State: callState(e.Status), ChangedBy: e.By, ChangedAt: e.Created,
			}
			if known {
				rows[i] = row
			} else {
				index[key] = len(rows)
				rows = append(rows, row)
			}
		case e.Verb.Transfer() && (e.Status == StatusAccepted || e.Status == StatusUnknown):
			row := RosterEntry{
				Party: partyOf(e), Role: e.Role, Bridge: e.Bridge, AddedBy: e.By, AddedAt: e.Created, Call: e,
				State: PartyTransferredIn, ChangedBy: e.By, ChangedAt: e.Created,
			}
			if known {
				rows[i] = row
			} else {
				index[key] = len(rows)
				rows = append(rows, row)
			}
		case known && e.Verb.Member() && e.Status == StatusAccepted:
			if st, ok := memberState[e.Verb]; ok {
				rows[i].State, rows[i].ChangedBy, rows[i].ChangedAt = st, e.By, e.Created
			}
		}
	}
	return rows
}

var memberState = map[Verb]PartyState{VerbHold: PartyOnHold, VerbUnhold: PartyOffHold, VerbHangup: PartyHungUp}

func callState(st Status) PartyState {
	switch st {
	case StatusAccepted:
		return PartyDialled
	case StatusFailed:
		return PartyDialFailed
	case StatusUnknown:
		return PartyUnknown
	}
	return PartyDialling
}

// partyOf rebuilds the party an entry was about.
func partyOf(e Entry) Party {
	a, _ := parseStored(e.To)
	return Party{Address: a, User: e.ToUser}
}

// find returns the roster row a target names: the person, or the address.
// The latest row wins when the same person was added twice.
func find(rows []RosterEntry, t Target) (RosterEntry, bool) {
	for i := len(rows) - 1; i >= 0; i-- {
		if t.Is(rows[i].Party) {
			return rows[i], true
		}
	}
	return RosterEntry{}, false
}
