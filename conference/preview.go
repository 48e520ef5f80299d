package conference

import "context"

// Preview is what an add would do, worked out without doing it.
type Preview struct {
	Bridge      Bridge
	Caller      OwnNumber
	Parties     []Party
	Unreachable []Unreachable
}

// PreviewAdd applies every rule an add would meet (allow-lists, bridge,
// the caller's own number, look-ups, destination rules) and sends
// nothing, so a form can show each problem on its field before it closes.
// Refusals of the whole request come back as the error, as Refused would
// report them; per-target problems are in Unreachable.
func (s *Service) PreviewAdd(ctx context.Context, req Request) (Preview, error) {
	if err := s.policy.AllowRequester(ctx, s.cfg.Groups, req.Place, req.By); err != nil {
		return Preview{}, err
	}
	bridge, err := s.bridgeFor(ctx, req.Place, req.Bridge)
	if err != nil {
		return Preview{}, err
	}
	caller, err := s.ownNumber(ctx, req.By)
	if err != nil {
		return Preview{}, callerError(err)
	}
	parties, unreachable, err := s.resolve(ctx, req.Place.Team, req.Targets)
	if err != nil {
		return Preview{}, err
	}
	var ok []Party
	for _, p := range parties {
		t := targetOf(p)
		if d := s.policy.AllowDestination(t); d != nil {
			unreachable = append(unreachable, Unreachable{Target: t, Err: d})
			continue
		}
		ok = append(ok, p)
	}
	return Preview{Bridge: bridge, Caller: caller, Parties: ok, Unreachable: unreachable}, nil
}
