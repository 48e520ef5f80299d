// Package policy decides who may dial whom: optional allow-lists of
// channels, users and user groups, optional destination rules, and the
// refusals that no setting lifts (premium-rate numbers). It knows nothing
// of Slack beyond IDs; group membership comes through an interface.
package policy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mpc-bot/mpc-bot/address"
)

// Config holds the allow-lists, each from a comma-separated setting. An
// empty list allows everyone.
type Config struct {
	Channels     []string // MPC_ALLOWED_CHANNELS: channel IDs
	Users        []string // MPC_ALLOWED_USERS: user IDs
	UserGroups   []string // MPC_ALLOWED_USERGROUPS: user group IDs
	Destinations []string // MPC_ALLOWED_DESTINATIONS: "+1", "+4420", "example.sip.plivo.com"
}

// Groups tells whether a user belongs to a user group; the bot answers it
// with usergroups.users.list, cached.
type Groups interface {
	Members(ctx context.Context, groupID string) ([]string, error)
}

// Policy is an immutable set of rules.
type Policy struct {
	channels, users map[string]bool
	groups          []string
	destinations    []string
}

// DeniedError says why a request is refused. Reason is a short label for
// metrics and the audit trail; Message is for the person, in mrkdwn.
type DeniedError struct {
	Reason  string
	Message string
}

func (e *DeniedError) Error() string { return "denied (" + e.Reason + "): " + e.Message }

// New checks cfg: every ID must look like a Slack ID and every destination
// rule must be a "+digits" prefix or a domain.
func New(cfg Config) (*Policy, error) {
	p := &Policy{channels: set(cfg.Channels), users: set(cfg.Users), groups: clean(cfg.UserGroups)}
	var bad []string
	for id := range p.channels {
		if !isID(id, "CGD") {
			bad = append(bad, fmt.Sprintf("MPC_ALLOWED_CHANNELS: %q is not a channel ID (C…)", id))
		}
	}
	for id := range p.users {
		if !isID(id, "UW") {
			bad = append(bad, fmt.Sprintf("MPC_ALLOWED_USERS: %q is not a user ID (U…)", id))
		}
	}
	for _, id := range p.groups {
		if !isID(id, "S") {
			bad = append(bad, fmt.Sprintf("MPC_ALLOWED_USERGROUPS: %q is not a user group ID (S…)", id))
		}
	}
	for _, d := range clean(cfg.Destinations) {
		if !validDestination(d) {
			bad = append(bad, fmt.Sprintf("MPC_ALLOWED_DESTINATIONS: %q is neither a +prefix such as +44 nor a SIP domain", d))
			continue
		}
		p.destinations = append(p.destinations, strings.ToLower(d))
	}
	if len(bad) > 0 {
		return nil, errors.New(strings.Join(bad, "; "))
	}
	return p, nil
}

// AllowRequester checks the caller and the channel against the allow-lists.
// A user passes if either the user list or a listed group has them.
func (p *Policy) AllowRequester(ctx context.Context, g Groups, channelID, userID string) error {
	if len(p.channels) > 0 && !p.channels[channelID] {
		return &DeniedError{Reason: "channel", Message: "mpc-bot is not enabled in this channel. An admin can add it to `MPC_ALLOWED_CHANNELS`."}
	}
	if len(p.users) == 0 && len(p.groups) == 0 {
		return nil
	}
	if p.users[userID] {
		return nil
	}
	for _, gid := range p.groups {
		members, err := g.Members(ctx, gid)
		if err != nil {
			return fmt.Errorf("policy: members of %s: %w", gid, err)
		}
		for _, m := range members {
			if m == userID {
				return nil
			}
		}
	}
	who := "the users in `MPC_ALLOWED_USERS`"
	if len(p.groups) > 0 {
		who = "members of the user groups in `MPC_ALLOWED_USERGROUPS`"
		if len(p.users) > 0 {
			who += " and the users in `MPC_ALLOWED_USERS`"
		}
	}
	return &DeniedError{Reason: "user", Message: "You may not add people to the call: only " + who + " may. Ask an admin."}
}

// AllowDestination checks one address. Premium-rate numbers are always
// refused; emergency numbers never parse (package address refuses them).
func (p *Policy) AllowDestination(a address.Address) error {
	if a.PremiumRate() {
		return &DeniedError{Reason: "premium_rate", Message: "premium-rate numbers are never dialled"}
	}
	if len(p.destinations) == 0 {
		return nil
	}
	for _, d := range p.destinations {
		if a.HasPrefix(d) {
			return nil
		}
	}
	return &DeniedError{Reason: "destination", Message: "that destination is not allowed here; allowed: " + strings.Join(p.destinations, ", ")}
}

func validDestination(d string) bool {
	if strings.HasPrefix(d, "+") {
		if len(d) < 2 || len(d) > 8 {
			return false
		}
		for _, r := range d[1:] {
			if r < '0' || r > '9' {
				return false
			}
		}
		return true
	}
	d = strings.TrimPrefix(strings.ToLower(d), "sip:")
	_, err := address.ParseSIP("sip:x@" + d)
	return err == nil
}

func isID(id, firstLetters string) bool {
	if len(id) < 3 || !strings.ContainsRune(firstLetters, rune(id[0])) {
		return false
	}
	for _, r := range id {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func clean(list []string) []string {
	var out []string
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func set(list []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range clean(list) {
		m[s] = true
	}
	return m
}
