package bot

import (
	"context"
	"errors"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/slack-go/slack"
	"golang.org/x/sync/singleflight"

	"github.com/mpc-bot/mpc-bot/conference"
)

// Workspace answers the service's questions about people and user groups
// (conference.Profiles and conference.Groups) with users.info and
// usergroups.users.list. Answers are kept in LRU caches whose entries
// expire, keyed by team, and concurrent misses for one key share one call:
// a burst of adds of the same people costs Slack one call each.
type Workspace struct {
	api   *slack.Client
	now   func() time.Time
	calls singleflight.Group

	profiles   *lru.Cache[string, expiring[conference.Profile]]
	groups     *lru.Cache[string, expiring[[]string]]
	profileTTL time.Duration
	groupTTL   time.Duration
}

// expiring is a cached answer and when it stops counting.
type expiring[V any] struct {
	value   V
	expires time.Time
}

// Cache sizes: far more people and groups than one workspace looks up in
// a profile or group lifetime.
const (
	cachedProfiles = 10000
	cachedGroups   = 1000
)

// NewWorkspace builds the Slack side of the service's look-ups on api.
func NewWorkspace(api *slack.Client, now func() time.Time) *Workspace {
	profiles, _ := lru.New[string, expiring[conference.Profile]](cachedProfiles)
	groups, _ := lru.New[string, expiring[[]string]](cachedGroups)
	return &Workspace{
		api: api, now: now, profiles: profiles, groups: groups,
		// A profile's phone changes rarely, and a stale one costs a
		// wrong caller ID for a minute; group membership governs the
		// allow-lists, so it is kept a little longer to spare Slack.
		profileTTL: time.Minute, groupTTL: 5 * time.Minute,
	}
}

// Profile reads a person's profile. People Slack will not show the bot (a
// member of another organisation in a shared channel) come back External.
func (w *Workspace) Profile(ctx context.Context, team, user string) (conference.Profile, error) {
	return cached(ctx, w, w.profiles, w.profileTTL, "u:"+team+":"+user, func(ctx context.Context) (conference.Profile, error) {
		u, err := w.api.GetUserInfoContext(ctx, user)
		var se slack.SlackErrorResponse
		if errors.As(err, &se) && (se.Err == "user_not_found" || se.Err == "user_not_visible") {
			return conference.Profile{External: true}, nil
		}
		if err != nil {
			return conference.Profile{}, err
		}
		name := u.Profile.DisplayName
		if name == "" {
			name = u.Name
		}
		return conference.Profile{Name: name, Phone: u.Profile.Phone, External: u.IsStranger}, nil
	})
}

// Members reads a user group's members.
func (w *Workspace) Members(ctx context.Context, team, group string) ([]string, error) {
	return cached(ctx, w, w.groups, w.groupTTL, "g:"+team+":"+group, func(ctx context.Context) ([]string, error) {
		return w.api.GetUserGroupMembersContext(ctx, group)
	})
}

// cached answers from c while the entry lasts, else calls fetch once for
// all concurrent askers and keeps a successful answer for ttl.
func cached[V any](ctx context.Context, w *Workspace, c *lru.Cache[string, expiring[V]], ttl time.Duration, key string, fetch func(context.Context) (V, error)) (V, error) {
	if e, ok := c.Get(key); ok && w.now().Before(e.expires) {
		return e.value, nil
	}
	ch := w.calls.DoChan(key, func() (any, error) {
		// The call outlives one asker's cancellation: others may be
		// waiting for it. It is bounded on its own.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		v, err := fetch(fctx)
		if err == nil {
			c.Add(key, expiring[V]{value: v, expires: w.now().Add(ttl)})
		}
		return v, err
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			var zero V
			return zero, r.Err
		}
		return r.Val.(V), nil
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}
