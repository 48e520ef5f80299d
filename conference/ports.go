package conference

import (
	"context"
	"time"

	"github.com/mpc-bot/mpc-bot/address"
)

// Store is everything the service keeps in its database; package store
// implements it on SQLite and PostgreSQL. Every guarantee that spans
// replicas (once-only keys, ownership of requests, each person's limit) is
// enforced by the database, not by memory in one process.
type Store interface {
	Intake
	AuditLog
	Registry
	Bindings
	Limits
	Claims
	// Prune deletes what the retention settings no longer keep.
	Prune(ctx context.Context, r Retention, now time.Time) (Pruned, error)
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
}

// Intake keeps accepted requests, each owned by the instance working on it,
// until they are done; instances prove they are alive with heartbeats.
type Intake interface {
	// Accept records reqs for owner in one transaction, once per Key. A key
	// recorded before answers Duplicate, unless its owner's last heartbeat
	// is older than staleBefore and the request is not done: then owner
	// adopts it (Adopted), and the stored request and state come back.
	Accept(ctx context.Context, owner string, staleBefore time.Time, reqs []Request) ([]Admission, error)
	// SetState moves a request along queued → running → done.
	SetState(ctx context.Context, id string, s RequestState) error
	// Heartbeat records that instance is alive at at.
	Heartbeat(ctx context.Context, instance string, at time.Time) error
	// Adopt gives me every request not done whose owner's last heartbeat is
	// older than staleBefore, with the state its owner left it in.
	Adopt(ctx context.Context, me string, staleBefore time.Time) ([]Adoption, error)
	// Leave forgets a stopped instance.
	Leave(ctx context.Context, instance string) error
	// FindRequest returns a stored request (ErrNotFound if none).
	FindRequest(ctx context.Context, id string) (Request, RequestState, error)
}

// Admission is what Accept made of one request.
type Admission struct {
	Acceptance Acceptance
	// Request and State are the stored ones, for Duplicate and Adopted.
	Request Request
	State   RequestState
}

// Adoption is a request taken over from a dead instance.
type Adoption struct {
	Request Request
	State   RequestState
}

// AuditLog is the audit trail: one Entry per PHLO request (and per
// refusal), written before Plivo is asked and finished after.
type AuditLog interface {
	// Begin records e as pending, or, when e.Status is already final (a
	// denial, or a record of no PHLO request such as a bridge binding), as
	// final at once. An ID recorded before gives ErrDuplicate.
	Begin(ctx context.Context, e Entry) error
	// Finish records the outcome of a pending entry; the first outcome
	// stands (a second Finish is a no-op error the caller may ignore).
	Finish(ctx context.Context, id string, o Outcome) error
	// Entries returns entries matching q, newest first.
	Entries(ctx context.Context, q EntryQuery) ([]Entry, error)
	// FindEntry returns one entry (ErrNotFound if none).
	FindEntry(ctx context.Context, id string) (Entry, error)
	// AbandonPending marks pending entries older than olderThan whose
	// request is not owned by a live instance as unknown: their process
	// died between asking Plivo and hearing back.
	AbandonPending(ctx context.Context, olderThan time.Time) (int, error)
}

// EntryQuery selects audit entries. Zero fields do not filter, but Team
// is required, and Limit must be positive.
type EntryQuery struct {
	Team    string
	Channel string
	Thread  string
	// Scope and User select what one person did.
	Scope, User string
	// Request selects one request's entries.
	Request string
	Since   time.Time
	Limit   int
}

// Registry holds the numbers people registered themselves, which come
// before the directory file and their profile.
type Registry interface {
	// Registered returns p's own address, looked up by p.Scope() and, for
	// registrations made before Enterprise Grid keys existed, p.Team.
	Registered(ctx context.Context, p Person) (string, bool, error)
	Register(ctx context.Context, p Person, addr string) error
	Unregister(ctx context.Context, p Person) (existed bool, err error)
}

// Bindings holds which bridge a channel uses, set with "bridge <name>".
type Bindings interface {
	Binding(ctx context.Context, team, channel string) (bridge string, ok bool, err error)
	// Bind sets the channel's bridge; an empty bridge removes the binding.
	Bind(ctx context.Context, team, channel, bridge string, by Person) error
}

// Limits keeps each person's dial allowance in the database, so that it
// holds across replicas.
type Limits interface {
	// Reserve takes n dials from key's allowance, which refills one dial
	// every interval up to burst, and says how long the caller must wait
	// before using them (0: at once). It always takes them; Release gives
	// them back.
	Reserve(ctx context.Context, key string, n int, interval time.Duration, burst int, now time.Time) (time.Duration, error)
	Release(ctx context.Context, key string, n int, interval time.Duration) error
}

// Claims makes an answer once-only across re-deliveries and replicas: the
// first Claim of a key wins until ttl passes.
type Claims interface {
	Claim(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// Retention says how long the store keeps things.
type Retention struct {
	// Audit keeps the audit trail's entries; Denials keeps refusals, which
	// are many and of little use later.
	Audit, Denials time.Duration
}

// Pruned counts what Prune deleted.
type Pruned struct {
	Entries, Requests, Claims, Instances int
}

// CallControl sends PHLO requests; package phlo's Switchboard implements
// it. It must never retry what may have reached Plivo: a retry could ring
// someone twice.
type CallControl interface {
	// Send makes one PHLO request and classifies the answer. Waiting before
	// the request is sent (pacing to the account limit, backing off a 429)
	// ends when stop is closed, with a failed outcome; once sent, only ctx
	// bounds it.
	Send(ctx context.Context, stop <-chan struct{}, c Command) Outcome
}

// Command is one PHLO request.
type Command struct {
	Bridge Bridge
	Verb   Verb
	// To, Role and TriggerSource go with node verbs (call, transfers).
	To            address.Address
	Role          Role
	TriggerSource address.Address
	// Member is the address member verbs act on, exactly as it was dialled.
	Member address.Address
}

// Directory is the MPC_DIRECTORY file.
type Directory interface {
	Lookup(userID string) (address.Address, bool)
}

// Profiles reads people's chat profiles.
type Profiles interface {
	// Profile returns what the workspace says of user. A person from
	// another organisation (a shared channel) comes back with External set
	// and no error.
	Profile(ctx context.Context, team, user string) (Profile, error)
}

// Profile is what the service needs of a chat profile.
type Profile struct {
	Name     string
	Phone    string
	External bool
}

// Groups reads the members of user groups.
type Groups interface {
	Members(ctx context.Context, team, group string) ([]string, error)
}

// Replies builds the Reporter for a request from what the front end
// stored in it, so that any instance can speak for any request.
type Replies interface {
	For(req Request) Reporter
}

// Reporter tells the people concerned what happens to one request. Its
// methods may be called concurrently (for different parties), must not
// block for long, and report their own failures (to the log).
type Reporter interface {
	// Waiting: the request waits for its person's own limit.
	Waiting(ctx context.Context, w Wait)
	// Announce: who is about to be dialled or acted on. Dialling does not
	// wait for it, so an implementation that posts somewhere does so in
	// the background and threads later outcomes under it.
	Announce(ctx context.Context, a Announcement)
	// Outcome: one party's result.
	Outcome(ctx context.Context, o PartyOutcome)
	// Refused: nothing was sent, because of err.
	Refused(ctx context.Context, err error)
	// Interrupted: the request goes no further; what was and was not sent.
	Interrupted(ctx context.Context, i Interruption)
	// Done: nothing more will be reported for this request.
	Done(ctx context.Context)
}

// Wait says why a request waits and for how long.
type Wait struct {
	PerMinute int
	Delay     time.Duration
}

// Announcement is what a request is about to do.
type Announcement struct {
	Request Request
	Verb    Verb
	Role    Role
	Bridge  Bridge
	// ManyBridges is set when there is more than one bridge, so messages
	// name this one.
	ManyBridges bool
	Parties     []Party
	Unreachable []Unreachable
}

// PartyOutcome is one party's result.
type PartyOutcome struct {
	Request     Request
	Entry       Entry
	Party       Party
	Bridge      Bridge
	ManyBridges bool
	Outcome     Outcome
}

// Interruption says a request was cut short.
type Interruption struct {
	Request Request
	// Cause is CauseShutdown (a graceful stop) or CauseInterrupted (the
	// instance died and another took over).
	Cause Cause
	// Sent are the entries that reached Plivo, or may have.
	Sent []Entry
	// NotSent are the targets nothing was sent for; Retry dials them.
	NotSent []Target
}

// Clock is the time source; tests inject one they control.
type Clock interface {
	Now() time.Time
	// After is like time.After.
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real time.
type SystemClock struct{}

// Now is time.Now.
func (SystemClock) Now() time.Time { return time.Now() }

// After is time.After.
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Observer is told what the service does, for metrics; calls must be
// cheap and must not block.
type Observer interface {
	// Sent reports one PHLO request: its verb, role, outcome and duration.
	Sent(v Verb, r Role, o Outcome, d time.Duration)
	// Denied reports a refusal and why.
	Denied(reason string)
	// QueueDepth reports requests accepted and not finished.
	QueueDepth(n int)
}

type nopObserver struct{}

func (nopObserver) Sent(Verb, Role, Outcome, time.Duration) {}
func (nopObserver) Denied(string)                           {}
func (nopObserver) QueueDepth(int)                          {}
