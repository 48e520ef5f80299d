package conference

import (
	"context"
	"fmt"
)

// bridgeFor picks the bridge for a request in place: the one it names,
// else the channel's binding, else the bridges file's channel list, else
// the default.
func (s *Service) bridgeFor(ctx context.Context, place Place, named string) (Bridge, error) {
	b, _, err := s.BridgeFor(ctx, place, named)
	return b, err
}

// BridgeFor is bridgeFor with the reason, for "bridge" and the Home tab.
func (s *Service) BridgeFor(ctx context.Context, place Place, named string) (Bridge, BindingSource, error) {
	if named != "" {
		b, ok := s.bridges.Get(named)
		if !ok {
			return Bridge{}, "", &UnknownBridgeError{Name: named, Known: s.bridges.Names()}
		}
		return b, NamedInRequest, nil
	}
	if !s.bridges.Many() {
		return s.bridges.Default(), BoundByDefault, nil
	}
	name, ok, err := s.store.Binding(ctx, place.Team, place.Channel)
	if err != nil {
		return Bridge{}, "", &NotRecordedError{Err: fmt.Errorf("binding of %s: %w", place.Channel, err)}
	}
	if ok {
		if b, known := s.bridges.Get(name); known {
			return b, BoundHere, nil
		}
		s.log.Warn("a channel is bound to a bridge the bridges file no longer has; using the next choice", "channel", place.Channel, "bridge", name)
	}
	if b, ok := s.bridges.ForChannel(place.Channel); ok {
		return b, BoundByFile, nil
	}
	return s.bridges.Default(), BoundByDefault, nil
}

// Bind sets the bridge place's channel uses; NoBridge removes the
// binding. The allow-lists that govern adding govern it too, and it is
// written to the audit trail.
func (s *Service) Bind(ctx context.Context, by Person, place Place, name string) (Bridge, BindingSource, error) {
	if err := s.policy.AllowRequester(ctx, s.cfg.Groups, place, by); err != nil {
		s.obs.Denied(refusalReason(err))
		return Bridge{}, "", err
	}
	if name != NoBridge {
		if _, ok := s.bridges.Get(name); !ok {
			return Bridge{}, "", &UnknownBridgeError{Name: name, Known: s.bridges.Names()}
		}
	}
	stored := name
	if name == NoBridge {
		stored = ""
	}
	if err := s.store.Bind(ctx, place.Team, place.Channel, stored, by); err != nil {
		s.noteStore(err)
		return Bridge{}, "", &NotRecordedError{Err: err}
	}
	detail := "unbound the channel from its bridge"
	if stored != "" {
		detail = "bound the channel to bridge " + stored
	}
	now := s.clock.Now()
	id := NewRequestID()
	if err := s.store.Begin(ctx, Entry{
		ID: id + "/bind", Request: id, Verb: VerbBind, By: by, Place: Place{Team: place.Team, Channel: place.Channel},
		Bridge: stored, Status: StatusAccepted, Detail: detail, Created: now,
	}); err != nil {
		s.log.Warn("could not record a bridge binding in the audit trail", "err", err)
	}
	return s.BridgeFor(ctx, Place{Team: place.Team, Channel: place.Channel}, "")
}
