package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/mpc-bot/mpc-bot/address"
)

// Directory maps Slack users to their own addresses; *directory.Directory
// satisfies it.
type Directory interface {
	Lookup(userID string) (address.Address, bool)
}

// Registry holds numbers people registered themselves; it is consulted
// before the directory file. teamID keys it so one store serves several
// workspaces.
type Registry interface {
	Registered(ctx context.Context, teamID, userID string) (string, bool, error)
}

// source says where a person's address came from, for logs and whoami.
type source string

const (
	sourceRegistered source = "registered with /mpc-add register"
	sourceDirectory  source = "directory file"
	sourceProfile    source = "Slack profile"
)

// NoAddressError says a Slack user has no usable address.
type NoAddressError struct {
	UserID string
	// Name is the person's display name, when Slack told us, for places
	// where mentions do not render (modal errors).
	Name string
	// ProfileReason is set when the profile has a phone that does not parse.
	ProfileReason string
}

func (e *NoAddressError) Error() string {
	if e.ProfileReason != "" {
		return fmt.Sprintf("user %s: profile phone unusable: %s", e.UserID, e.ProfileReason)
	}
	return fmt.Sprintf("user %s: no number in the directory or Slack profile", e.UserID)
}

// people finds a Slack user's own number: registered, then the directory
// file, then the phone field of their Slack profile (users.info, needs
// users:read). Profile answers are cached briefly so a burst of commands
// from one person costs one users.info call.
type people struct {
	registry Registry
	dir      Directory
	api      *slack.Client
	region   string
	ttl      time.Duration
	// showNumbers shows numbers in full in messages instead of masked.
	showNumbers bool

	mu    sync.Mutex
	cache map[string]cachedAddress
}

type cachedAddress struct {
	addr    address.Address
	expires time.Time
}

const maxCachedProfiles = 10000

func newPeople(reg Registry, dir Directory, api *slack.Client, region string) *people {
	return &people{registry: reg, dir: dir, api: api, region: region, ttl: time.Minute, cache: make(map[string]cachedAddress)}
}

func (p *people) lookup(ctx context.Context, teamID, userID string) (address.Address, source, error) {
	if p.registry != nil {
		s, ok, err := p.registry.Registered(ctx, teamID, userID)
		if err != nil {
			return address.Address{}, "", fmt.Errorf("registered number of %s: %w", userID, err)
		}
		if ok {
			if a, err := address.Parse(s, p.region); err == nil {
				return a, sourceRegistered, nil
			}
		}
	}
	if p.dir != nil {
		if a, ok := p.dir.Lookup(userID); ok {
			return a, sourceDirectory, nil
		}
	}
	now := time.Now()
	p.mu.Lock()
	c, ok := p.cache[userID]
	p.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.addr, sourceProfile, nil
	}

	u, err := p.api.GetUserInfoContext(ctx, userID)
	if err != nil {
		return address.Address{}, "", fmt.Errorf("users.info %s: %w", userID, err)
	}
	name := u.Profile.DisplayName
	if name == "" {
		name = u.Name
	}
	if u.Profile.Phone == "" {
		return address.Address{}, "", &NoAddressError{UserID: userID, Name: name}
	}
	a, err := address.Parse(u.Profile.Phone, p.region)
	if err != nil {
		var pe *address.ParseError
		if errors.As(err, &pe) {
			return address.Address{}, "", &NoAddressError{UserID: userID, Name: name, ProfileReason: pe.Reason}
		}
		return address.Address{}, "", err
	}

	p.mu.Lock()
	if len(p.cache) >= maxCachedProfiles {
		clear(p.cache)
	}
	p.cache[userID] = cachedAddress{addr: a, expires: now.Add(p.ttl)}
	p.mu.Unlock()
	return a, sourceProfile, nil
}

// numberTarget shows a number as messages may: masked unless the settings
// say numbers may be shown.
func (p *people) numberTarget(a address.Address) target {
	if p.showNumbers {
		return numberTarget(a.String())
	}
	return numberTarget(a.Masked())
}

// party is one person an add dials.
type party struct {
	shown  target // as the channel shows them
	userID string // set when they are a Slack user
	addr   address.Address
}

// unreachable is someone a request named who cannot be dialled.
type unreachable struct {
	shown target
	why   string // mrkdwn
	err   error
}

// TooManyPeopleError says a request names more than MaxPeople after its
// user groups were expanded.
type TooManyPeopleError struct {
	Count int
}

func (e *TooManyPeopleError) Error() string {
	return fmt.Sprintf("that is %d people; one request dials at most %d", e.Count, MaxPeople)
}

// resolve turns a command's targets into the people to dial, expanding user
// groups (usergroups.users.list) and dropping duplicates. Those without a
// number come back separately, so the rest can still be dialled.
func (p *people) resolve(ctx context.Context, teamID string, targets []Target) ([]party, []unreachable, error) {
	var users []string
	var out []party
	var bad []unreachable
	seenAddr := map[string]bool{}
	for _, t := range targets {
		switch {
		case !t.Addr.IsZero():
			if !seenAddr[t.Addr.String()] {
				seenAddr[t.Addr.String()] = true
				out = append(out, party{shown: p.numberTarget(t.Addr), addr: t.Addr})
			}
		case t.UserID != "":
			users = append(users, t.UserID)
		case t.GroupID != "":
			members, err := p.api.GetUserGroupMembersContext(ctx, t.GroupID)
			if err != nil {
				bad = append(bad, unreachable{shown: groupTarget(t.GroupID), why: fmt.Sprintf("I could not read its members (Slack said `%s`)", escape(slackErrorCode(err))), err: err})
				continue
			}
			if len(members) == 0 {
				bad = append(bad, unreachable{shown: groupTarget(t.GroupID), why: "it has no members"})
			}
			users = append(users, members...)
		}
	}
	slices.Sort(users)
	users = slices.Compact(users)
	if n := len(out) + len(users); n > MaxPeople {
		return nil, nil, &TooManyPeopleError{Count: n}
	}

	// Profile look-ups run side by side: twenty in a row would outlast the
	// 3 s a modal submission has.
	resolved := make([]party, len(users))
	errs := make([]error, len(users))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, u := range users {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			a, _, err := p.lookup(ctx, teamID, u)
			resolved[i], errs[i] = party{shown: userTarget(u), userID: u, addr: a}, err
		})
	}
	wg.Wait()
	for i, r := range resolved {
		if errs[i] != nil {
			bad = append(bad, unreachable{shown: r.shown, why: unreachableReason(errs[i]), err: errs[i]})
			continue
		}
		if seenAddr[r.addr.String()] {
			continue
		}
		seenAddr[r.addr.String()] = true
		out = append(out, r)
	}
	return out, bad, nil
}

func unreachableReason(err error) string {
	var na *NoAddressError
	switch {
	case errors.As(err, &na) && na.ProfileReason != "":
		return "the phone number in their Slack profile cannot be used (" + na.ProfileReason + ")"
	case errors.As(err, &na):
		return "no number in the directory file or their Slack profile"
	}
	return fmt.Sprintf("I could not read their Slack profile (Slack said `%s`)", escape(slackErrorCode(err)))
}
