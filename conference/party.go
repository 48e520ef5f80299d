package conference

import (
	"fmt"
	"strings"

	"github.com/mpc-bot/mpc-bot/address"
)

// Role is how a party joins the bridge; Plivo applies different hold music
// and permissions to each.
type Role string

// The roles a PHLO Multi-Party Call knows.
const (
	RoleAgent    Role = "agent"
	RoleCustomer Role = "customer"
)

// Valid reports whether r is one of the roles Plivo accepts.
func (r Role) Valid() bool { return r == RoleAgent || r == RoleCustomer }

// ParseRole reads a role as people type it ("Agent", " customer ").
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if !r.Valid() {
		// Not the input: a person may have typed a number in the wrong place.
		return "", fmt.Errorf("conference: not a role (want %q or %q)", RoleAgent, RoleCustomer)
	}
	return r, nil
}

// Person is someone in the chat workspace who asks for something or is
// asked for. On Enterprise Grid an org-wide user (a W… ID with an
// Enterprise) is the same person in every workspace of the organisation,
// which is why Scope, not Team, keys what belongs to them.
type Person struct {
	Team       string `json:"t,omitempty"`
	Enterprise string `json:"e,omitempty"`
	User       string `json:"u"`
}

// Scope is where the person's own settings live: the organisation for an
// org-wide user, else the workspace. Team and enterprise IDs never collide
// (T… and E…), so one column can hold either.
func (p Person) Scope() string {
	if p.Enterprise != "" && strings.HasPrefix(p.User, "W") {
		return p.Enterprise
	}
	return p.Team
}

// Key identifies the person across replicas, for their dial limit.
func (p Person) Key() string { return p.Scope() + "/" + p.User }

// Place is where a request was made and where what it did is shown: a
// channel (or direct message) and, for shortcuts and mentions, a thread.
type Place struct {
	Team    string `json:"t,omitempty"`
	Channel string `json:"c"`
	Thread  string `json:"th,omitempty"`
}

// Target is one thing a request names to dial or act on: exactly one of
// Address, User and Group is set.
type Target struct {
	Address address.Address `json:"a,omitzero"`
	// User is a person in the workspace, dialled at their own number.
	User string `json:"u,omitempty"`
	// Group is a user group whose members are dialled; GroupName is its
	// handle as the front end showed it, for messages.
	Group     string `json:"g,omitempty"`
	GroupName string `json:"gn,omitempty"`
}

// NumberTarget names a number or SIP address.
func NumberTarget(a address.Address) Target { return Target{Address: a} }

// UserTarget names a person.
func UserTarget(userID string) Target { return Target{User: userID} }

// Party is one resolved person or number that a request dials or acts on.
type Party struct {
	Address address.Address
	// User is set when the party is a person in the workspace.
	User string
	// Via is the group that brought them in, if any.
	Via string
}

// Is reports whether t names p: the same person, or the same address.
func (t Target) Is(p Party) bool {
	switch {
	case t.User != "":
		return t.User == p.User
	case !t.Address.IsZero():
		return t.Address.String() == p.Address.String()
	}
	return false
}
