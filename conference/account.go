package conference

import (
	"context"
	"time"

	"github.com/mpc-bot/mpc-bot/address"
)

// Whoami says which number calls p starts come from, and why.
func (s *Service) Whoami(ctx context.Context, p Person) (OwnNumber, error) {
	n, err := s.ownNumber(ctx, p)
	return n, callerError(err)
}

// Register sets p's own number, which comes before the directory file and
// their profile. It is Plivo's caller-side address, so premium-rate
// numbers are refused (emergency numbers never parse); an extension is
// dropped, since PHLO cannot send one.
func (s *Service) Register(ctx context.Context, p Person, a address.Address) (address.Address, error) {
	if d := s.policy.AllowOwnNumber(a); d != nil {
		s.obs.Denied(string(d.Rule))
		return address.Address{}, d
	}
	main, err := parseStored(a.String())
	if err != nil {
		return address.Address{}, err
	}
	if err := s.store.Register(ctx, p, main.String()); err != nil {
		s.noteStore(err)
		return address.Address{}, &NotRecordedError{Err: err}
	}
	return main, nil
}

// Unregister removes p's registered number; existed says whether there was
// one.
func (s *Service) Unregister(ctx context.Context, p Person) (bool, error) {
	existed, err := s.store.Unregister(ctx, p)
	if err != nil {
		s.noteStore(err)
		return false, &NotRecordedError{Err: err}
	}
	return existed, nil
}

// Claim makes an answer once-only across re-deliveries and replicas (for
// commands that only answer, such as whoami or roster): true means this
// caller is the first. A failure to record the claim is an error: the
// caller says so rather than answer twice or not at all.
func (s *Service) Claim(ctx context.Context, key string) (bool, error) {
	ok, err := s.store.Claim(ctx, key, claimTTL)
	s.noteStore(err)
	if err != nil {
		return false, &NotRecordedError{Err: err}
	}
	return ok, nil
}

// claimTTL outlasts Slack's re-deliveries (minutes) and any double click.
const claimTTL = time.Hour
