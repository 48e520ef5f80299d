package conference

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/mpc-bot/mpc-bot/address"
)

// OwnNumber is the number calls a person starts come from (Plivo's
// trigger_source), and where it was found.
type OwnNumber struct {
	Address address.Address
	Source  AddressSource
	// Extension is set when the number found had one; it is not used,
	// since PHLO sends no digits after answering.
	Extension string
}

// ownNumber finds p's own number: registered, then the directory file,
// then their profile. Registered and directory numbers cost no call to the
// chat service, so the first PHLO request does not wait on it.
func (s *Service) ownNumber(ctx context.Context, p Person) (OwnNumber, error) {
	reg, ok, err := s.store.Registered(ctx, p)
	if err != nil {
		return OwnNumber{}, &NotRecordedError{Err: fmt.Errorf("registered number of %s: %w", p.User, err)}
	}
	if ok {
		if a, err := parseStored(reg); err == nil {
			return OwnNumber{Address: a, Source: FromRegistered}, nil
		}
		s.log.Warn("a registered number no longer parses; ignoring it", "user", p.User)
	}
	if s.cfg.Directory != nil {
		if a, ok := s.cfg.Directory.Lookup(p.User); ok {
			return OwnNumber{Address: a, Source: FromDirectory, Extension: a.Extension()}, nil
		}
	}
	a, err := s.profileNumber(ctx, p.Team, p.User)
	if err != nil {
		return OwnNumber{}, err
	}
	return OwnNumber{Address: a, Source: FromProfile, Extension: a.Extension()}, nil
}

// profileNumber reads the phone in a person's profile.
func (s *Service) profileNumber(ctx context.Context, team, user string) (address.Address, error) {
	if s.cfg.Profiles == nil {
		return address.Address{}, &NoAddressError{User: user}
	}
	prof, err := s.cfg.Profiles.Profile(ctx, team, user)
	switch {
	case err != nil:
		return address.Address{}, &NoAddressError{User: user, Err: err}
	case prof.External:
		return address.Address{}, &NoAddressError{User: user, Name: prof.Name, External: true}
	case prof.Phone == "":
		return address.Address{}, &NoAddressError{User: user, Name: prof.Name}
	}
	a, err := address.Parse(prof.Phone, s.region())
	if err != nil {
		var pe *address.ParseError
		if errors.As(err, &pe) {
			return address.Address{}, &NoAddressError{User: user, Name: prof.Name, ProfileReason: pe.Reason}
		}
		return address.Address{}, &NoAddressError{User: user, Name: prof.Name, Err: err}
	}
	return a, nil
}

// region is the default region for numbers in profiles.
func (s *Service) region() string { return s.cfg.DefaultRegion }

// resolve turns a request's targets into the parties to dial, expanding
// groups and dropping duplicates. Targets that cannot be dialled come back
// separately, with the reason, so the rest can still be dialled.
func (s *Service) resolve(ctx context.Context, team string, targets []Target) ([]Party, []Unreachable, error) {
	var parties []Party
	var bad []Unreachable
	type named struct{ user, via string }
	var users []named
	seenUser := map[string]bool{}
	for _, t := range targets {
		switch {
		case !t.Address.IsZero():
			if ext := t.Address.Extension(); ext != "" {
				bad = append(bad, Unreachable{Target: t, Err: &ExtensionError{Main: t.Address, Extension: ext}})
				continue
			}
			parties = append(parties, Party{Address: t.Address})
		case t.User != "":
			if !seenUser[t.User] {
				seenUser[t.User] = true
				users = append(users, named{user: t.User})
			}
		case t.Group != "":
			if s.cfg.Groups == nil {
				bad = append(bad, Unreachable{Target: t, Err: errors.New("user groups cannot be read here")})
				continue
			}
			members, err := s.cfg.Groups.Members(ctx, team, t.Group)
			if err != nil {
				bad = append(bad, Unreachable{Target: t, Err: err})
				continue
			}
			if len(members) == 0 {
				bad = append(bad, Unreachable{Target: t, Err: ErrEmptyGroup})
			}
			for _, m := range members {
				if !seenUser[m] {
					seenUser[m] = true
					users = append(users, named{user: m, via: t.Group})
				}
			}
		}
	}
	if n := len(parties) + len(users); n > MaxPeople {
		return nil, nil, &TooManyPeopleError{Count: n}
	}

	// Profile look-ups run side by side: twenty in a row would outlast the
	// three seconds a form submission has.
	found := make([]OwnNumber, len(users))
	errs := make([]error, len(users))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, u := range users {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			found[i], errs[i] = s.ownNumber(ctx, Person{Team: team, User: u.user})
		})
	}
	wg.Wait()
	for i, u := range users {
		t := UserTarget(u.user)
		switch {
		case errs[i] != nil:
			bad = append(bad, Unreachable{Target: t, Err: errs[i]})
		case found[i].Extension != "":
			bad = append(bad, Unreachable{Target: t, Err: &ExtensionError{Main: found[i].Address, Extension: found[i].Extension}})
		default:
			parties = append(parties, Party{Address: found[i].Address, User: u.user, Via: u.via})
		}
	}
	return dedupe(parties), bad, nil
}

// dedupe keeps the first party of each address: two people sharing a desk
// phone are dialled once.
func dedupe(parties []Party) []Party {
	seen := map[string]bool{}
	return slices.DeleteFunc(parties, func(p Party) bool {
		k := p.Address.String()
		if seen[k] {
			return true
		}
		seen[k] = true
		return false
	})
}

// allowDestinations keeps the parties the destination rules let through;
// the others are returned as unreachable and recorded as denials.
func (j *job) allowDestinations(parties []Party) ([]Party, []Unreachable) {
	var ok []Party
	var bad []Unreachable
	for i, p := range parties {
		t := targetOf(p)
		if d := j.s.policy.AllowDestination(t); d != nil {
			bad = append(bad, Unreachable{Target: t, Err: d})
			j.s.obs.Denied(string(d.Rule))
			j.s.recordDenial(j.ctx, j.req, fmt.Sprintf("%s/d%d", j.req.ID, i), d, j.log)
			continue
		}
		ok = append(ok, p)
	}
	return ok, bad
}

// targetOf names a party as a target: the person if they are one, else
// the number.
func targetOf(p Party) Target {
	if p.User != "" {
		return Target{User: p.User, Address: p.Address}
	}
	return NumberTarget(p.Address)
}
