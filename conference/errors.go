package conference

import (
	"errors"
	"fmt"
	"time"

	"github.com/mpc-bot/mpc-bot/address"
)

// Rule names one of the rules that can refuse a request. Its values are
// stored with denials in the audit trail and counted in metrics.
type Rule string

// The rules.
const (
	RuleChannel     Rule = "channel"      // MPC_ALLOWED_CHANNELS
	RuleUser        Rule = "user"         // MPC_ALLOWED_USERS / MPC_ALLOWED_USERGROUPS
	RulePremiumRate Rule = "premium_rate" // premium-rate numbers, always
	RuleEmergency   Rule = "emergency"    // emergency numbers, always
	RuleDestination Rule = "destination"  // MPC_ALLOWED_DESTINATIONS
	RuleNotOnRoster Rule = "not_on_roster"
	RuleGroupsCheck Rule = "groups_unchecked" // the allow-list's groups could not be read
)

// Denial says which rule refused what. Target is who or what was refused,
// in the form a person would recognise: a number, "sip:…", or a user ID
// (front ends render it); empty when the rule is about the requester.
type Denial struct {
	Rule   Rule
	Target Target
	// Allowed lists what the rule lets through, where that helps: the
	// allowed destination prefixes, for instance.
	Allowed []string
	// Err is the failure behind RuleGroupsCheck.
	Err error
}

func (d *Denial) Error() string {
	s := "conference: refused by rule " + string(d.Rule)
	switch {
	case !d.Target.Address.IsZero():
		s += " for " + d.Target.Address.Masked()
	case d.Target.User != "":
		s += " for user " + d.Target.User
	}
	if d.Err != nil {
		s += ": " + d.Err.Error()
	}
	return s
}

func (d *Denial) Unwrap() error { return d.Err }

// AsDenial returns the Denial in err, if any.
func AsDenial(err error) (*Denial, bool) {
	var d *Denial
	ok := errors.As(err, &d)
	return d, ok
}

// AddressSource says where a person's own number came from.
type AddressSource string

// Where a person's own number can come from, in order of precedence.
const (
	FromRegistered AddressSource = "registered"
	FromDirectory  AddressSource = "directory"
	FromProfile    AddressSource = "profile"
)

// NoAddressError says a person has no usable number of their own.
type NoAddressError struct {
	User string
	// Name is their display name, when known, for places where mentions
	// do not render.
	Name string
	// ProfileReason is set when their profile's phone does not parse.
	ProfileReason string
	// Extension is set when their number carries an extension, which PHLO
	// cannot dial (it sends no digits after answering).
	Extension string
	// External marks a person from another organisation in a shared
	// channel (Slack Connect): their profile cannot be read.
	External bool
	// Err is a failure to look them up at all (their profile could not be
	// read).
	Err error
}

func (e *NoAddressError) Error() string {
	switch {
	case e.External:
		return fmt.Sprintf("conference: user %s is from another organisation; their profile cannot be read", e.User)
	case e.Err != nil:
		return fmt.Sprintf("conference: user %s: looking up their number: %v", e.User, e.Err)
	case e.ProfileReason != "":
		return fmt.Sprintf("conference: user %s: the phone in their profile is unusable: %s", e.User, e.ProfileReason)
	}
	return fmt.Sprintf("conference: user %s has no number registered, in the directory or in their profile", e.User)
}

func (e *NoAddressError) Unwrap() error { return e.Err }

// CallerUnknownError says the person who asked has no number of their
// own, which Plivo needs as trigger_source.
type CallerUnknownError struct{ *NoAddressError }

// NobodyToDialError says a request named nobody who can be dialled or
// acted on; Unreachable says why for each target.
type NobodyToDialError struct {
	Unreachable []Unreachable
}

func (e *NobodyToDialError) Error() string {
	return fmt.Sprintf("conference: nobody to act on (%d named, none usable)", len(e.Unreachable))
}

// Unreachable is a target who cannot be dialled or acted on, and why: a
// *NoAddressError, an *ExtensionError, a *Denial, a *NotOnRosterError,
// ErrEmptyGroup or a failure to read a group.
type Unreachable struct {
	Target Target
	Err    error
}

// ErrEmptyGroup says a named user group has no members.
var ErrEmptyGroup = errors.New("conference: the group has no members")

// ExtensionError says a number to dial carries an extension. PHLO cannot
// send digits after the call is answered, so the number is not dialled;
// the main number is given so people can decide.
type ExtensionError struct {
	Main      address.Address
	Extension string
}

func (e *ExtensionError) Error() string {
	return "conference: the number has an extension, which PHLO cannot dial"
}

// TooManyPeopleError says a request names more than MaxPeople once groups
// are expanded.
type TooManyPeopleError struct{ Count int }

func (e *TooManyPeopleError) Error() string {
	return fmt.Sprintf("conference: %d people named; one request dials at most %d", e.Count, MaxPeople)
}

// MaxPeople bounds the people one request dials: a bridge holds about
// ten, and a mistyped group must not ring a department.
const MaxPeople = 20

// NotOnRosterError says an action named someone this place did not add
// (in the roster window), so there is no member to act on.
type NotOnRosterError struct {
	Target Target
}

func (e *NotOnRosterError) Error() string {
	return "conference: the target was not added here recently"
}

// LimitError says the person has dialled so many people lately that the
// request would wait longer than it may.
type LimitError struct {
	PerMinute int
	Wait      time.Duration
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("conference: over the limit of %d dials a minute; would wait %v", e.PerMinute, e.Wait.Round(time.Second))
}

// QueueFullError says the instance has as many requests waiting as it
// takes; nothing was accepted.
type QueueFullError struct{ Waiting int }

func (e *QueueFullError) Error() string {
	return fmt.Sprintf("conference: %d requests already waiting", e.Waiting)
}

// Errors callers branch on.
var (
	// ErrDuplicate: the request's key was accepted before (a re-delivery,
	// a resubmitted form, a double click); it is not acted on again.
	ErrDuplicate = errors.New("conference: already accepted")
	// ErrShuttingDown: the instance is stopping and takes no new work.
	ErrShuttingDown = errors.New("conference: shutting down")
	// ErrNotFound: no such request, audit entry or bridge binding.
	ErrNotFound = errors.New("conference: not found")
	// ErrWrongTeam: the request referred to something of another workspace.
	ErrWrongTeam = errors.New("conference: belongs to another workspace")
)

// NotRecordedError says the store failed, so nothing was accepted or done.
type NotRecordedError struct{ Err error }

func (e *NotRecordedError) Error() string {
	return "conference: could not record the request: " + e.Err.Error()
}

func (e *NotRecordedError) Unwrap() error { return e.Err }
