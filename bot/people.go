package bot

import (
	"context"
	"errors"
	"fmt"
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

// source says where a person's address came from, for logs and messages.
type source string

const (
	sourceDirectory source = "directory file"
	sourceProfile   source = "Slack profile"
)

// NoAddressError says a Slack user has no usable address.
type NoAddressError struct {
	UserID string
	// ProfileReason is set when the profile has a phone that does not parse.
	ProfileReason string
}

func (e *NoAddressError) Error() string {
	if e.ProfileReason != "" {
		return fmt.Sprintf("user %s: profile phone unusable: %s", e.UserID, e.ProfileReason)
	}
	return fmt.Sprintf("user %s: no number in the directory or Slack profile", e.UserID)
}

// people finds a Slack user's own number: the directory file first, then the
// phone field of their Slack profile (users.info, needs users:read).
// Profile answers are cached briefly so a burst of commands from one person
// costs one users.info call.
type people struct {
	dir    Directory
	api    *slack.Client
	region string
	ttl    time.Duration

	mu    sync.Mutex
	cache map[string]cachedAddress
}

type cachedAddress struct {
	addr    address.Address
	expires time.Time
}

const maxCachedProfiles = 10000

func newPeople(dir Directory, api *slack.Client, region string) *people {
	return &people{dir: dir, api: api, region: region, ttl: time.Minute, cache: make(map[string]cachedAddress)}
}

func (p *people) lookup(ctx context.Context, userID string) (address.Address, source, error) {
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
	if u.Profile.Phone == "" {
		return address.Address{}, "", &NoAddressError{UserID: userID}
	}
	a, err := address.Parse(u.Profile.Phone, p.region)
	if err != nil {
		var pe *address.ParseError
		if errors.As(err, &pe) {
			return address.Address{}, "", &NoAddressError{UserID: userID, ProfileReason: pe.Reason}
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
