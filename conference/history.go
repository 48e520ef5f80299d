package conference

import (
	"context"

	"github.com/mpc-bot/mpc-bot/address"
)

// History returns the latest limit entries of a channel, adds and
// actions alike, newest first.
func (s *Service) History(ctx context.Context, place Place, limit int) ([]Entry, error) {
	es, err := s.store.Entries(ctx, EntryQuery{Team: place.Team, Channel: place.Channel, Limit: limit})
	if err != nil {
		return nil, &NotRecordedError{Err: err}
	}
	return es, nil
}

// Recent returns the latest limit entries a person made, anywhere in the
// workspace, for their Home tab.
func (s *Service) Recent(ctx context.Context, p Person, limit int) ([]Entry, error) {
	es, err := s.store.Entries(ctx, EntryQuery{Team: p.Team, Scope: p.Scope(), User: p.User, Limit: limit})
	if err != nil {
		return nil, &NotRecordedError{Err: err}
	}
	return es, nil
}

// parseStored reads an address the store kept, which is already
// normalised (E.164 or sip:).
func parseStored(s string) (address.Address, error) {
	return address.Parse(s, "")
}
