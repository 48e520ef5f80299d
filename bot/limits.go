package bot

import (
	"context"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"golang.org/x/time/rate"
)

// userLimits holds one token bucket per person: a burst of up to MaxPeople
// dials, refilled at the configured rate. A person over it waits, visibly;
// nothing is dropped.
type userLimits struct {
	perMinute int

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
}

func newUserLimits(perMinute int) *userLimits {
	return &userLimits{perMinute: perMinute, limiters: make(map[string]*rate.Limiter)}
}

// reserve takes n dials from the person's bucket and says how long they
// must wait for them. cancel gives them back, for a request that will not
// wait that long.
func (u *userLimits) reserve(teamID, userID string, n int) (wait time.Duration, cancel func()) {
	key := teamID + "/" + userID
	u.mu.Lock()
	l, ok := u.limiters[key]
	if !ok {
		if len(u.limiters) > 10000 {
			// Forget everyone whose bucket has refilled; they lose nothing.
			for k, old := range u.limiters {
				if old.Tokens() >= float64(old.Burst()) {
					delete(u.limiters, k)
				}
			}
		}
		l = rate.NewLimiter(rate.Limit(float64(u.perMinute)/60), MaxPeople)
		u.limiters[key] = l
	}
	u.mu.Unlock()
	r := l.ReserveN(time.Now(), min(n, MaxPeople))
	return r.Delay(), r.Cancel
}

// groupCache answers policy.Groups with usergroups.users.list, cached for
// a few minutes: membership changes rarely and every command asks.
type groupCache struct {
	api *slack.Client
	ttl time.Duration

	mu      sync.Mutex
	members map[string]cachedMembers
}

type cachedMembers struct {
	users   []string
	expires time.Time
}

func newGroupCache(api *slack.Client) *groupCache {
	return &groupCache{api: api, ttl: 5 * time.Minute, members: make(map[string]cachedMembers)}
}

// Members returns the users of a user group.
func (g *groupCache) Members(ctx context.Context, groupID string) ([]string, error) {
	now := time.Now()
	g.mu.Lock()
	c, ok := g.members[groupID]
	g.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.users, nil
	}
	users, err := g.api.GetUserGroupMembersContext(ctx, groupID)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	g.members[groupID] = cachedMembers{users: users, expires: now.Add(g.ttl)}
	g.mu.Unlock()
	return users, nil
}
