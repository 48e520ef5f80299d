package conference

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mpc-bot/mpc-bot/address"
)

// PolicyConfig holds the allow-lists, each from a comma-separated setting.
// An empty list allows everyone.
type PolicyConfig struct {
	Channels     []string // MPC_ALLOWED_CHANNELS: channel IDs
	Users        []string // MPC_ALLOWED_USERS: user IDs
	UserGroups   []string // MPC_ALLOWED_USERGROUPS: user group IDs
	Destinations []string // MPC_ALLOWED_DESTINATIONS: "+1", "+4420", "example.sip.plivo.com"
}

// Policy decides who may ask and whom may be dialled. It is immutable. The
// refusals no setting lifts (premium-rate and emergency numbers) live here
// too, so that every path that dials, registers or transfers asks one
// place.
type Policy struct {
	channels, users map[string]bool
	groups          []string
	destinations    []string
}

// Allowed kinds named in a RuleUser denial, so a front end can say who may.
const (
	AllowedUsers  = "users"
	AllowedGroups = "groups"
)

// NewPolicy checks cfg: every ID must look like a Slack ID and every
// destination rule must be a "+digits" prefix or a domain. Every problem
// is named at once.
func NewPolicy(cfg PolicyConfig) (*Policy, error) {
	p := &Policy{channels: set(cfg.Channels), users: set(cfg.Users), groups: clean(cfg.UserGroups)}
	var bad []string
	for _, id := range sortedKeys(p.channels) {
		if !isID(id, "CGD") {
			bad = append(bad, fmt.Sprintf("MPC_ALLOWED_CHANNELS: %q is not a channel ID (C…)", id))
		}
	}
	for _, id := range sortedKeys(p.users) {
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
		p.destinations = append(p.destinations, strings.ToLower(strings.TrimPrefix(d, "sip:")))
	}
	if len(bad) > 0 {
		return nil, errors.New(strings.Join(bad, "; "))
	}
	return p, nil
}

// AllowRequester checks the person and the place against the allow-lists.
// A person passes if the user list or a listed group has them. A group
// that cannot be read refuses (RuleGroupsCheck): allowing on error would
// defeat the allow-list.
func (p *Policy) AllowRequester(ctx context.Context, g Groups, place Place, by Person) error {
	if len(p.channels) > 0 && !p.channels[place.Channel] {
		return &Denial{Rule: RuleChannel}
	}
	if len(p.users) == 0 && len(p.groups) == 0 {
		return nil
	}
	if p.users[by.User] {
		return nil
	}
	for _, gid := range p.groups {
		members, err := g.Members(ctx, place.Team, gid)
		if err != nil {
			return &Denial{Rule: RuleGroupsCheck, Err: fmt.Errorf("members of %s: %w", gid, err)}
		}
		if slices.Contains(members, by.User) {
			return nil
		}
	}
	var allowed []string
	if len(p.users) > 0 {
		allowed = append(allowed, AllowedUsers)
	}
	if len(p.groups) > 0 {
		allowed = append(allowed, AllowedGroups)
	}
	return &Denial{Rule: RuleUser, Allowed: allowed}
}

// AllowDestination checks one address to dial or transfer to. Premium-rate
// numbers are always refused; emergency numbers never parse (package
// address refuses them), so they cannot get here.
func (p *Policy) AllowDestination(t Target) *Denial {
	a := t.Address
	if a.PremiumRate() {
		return &Denial{Rule: RulePremiumRate, Target: t}
	}
	if len(p.destinations) == 0 {
		return nil
	}
	for _, d := range p.destinations {
		if a.HasPrefix(d) {
			return nil
		}
	}
	return &Denial{Rule: RuleDestination, Target: t, Allowed: slices.Clone(p.destinations)}
}

// AllowOwnNumber checks a number someone registers as their own. It is
// Plivo's caller-side address (trigger_source), so the numbers no rule
// would ever dial are refused there too; the destination allow-list is not
// about callers and does not apply.
func (p *Policy) AllowOwnNumber(a address.Address) *Denial {
	if a.PremiumRate() {
		return &Denial{Rule: RulePremiumRate, Target: NumberTarget(a)}
	}
	return nil
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

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
