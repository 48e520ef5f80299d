package conference

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Kind says what a Request asks for.
type Kind string

// The kinds of Request.
const (
	// KindAdd dials Targets onto the bridge.
	KindAdd Kind = "add"
	// KindMember sends Verb (hold, unhold, hangup) to each of Targets,
	// who must have been added in this place.
	KindMember Kind = "member"
	// KindTransfer hands the caller of the person who asks over to the one
	// Target (Verb warm_transfer or cold_transfer).
	KindTransfer Kind = "transfer"
	// KindAbortTransfer aborts a transfer the person who asks started.
	KindAbortTransfer Kind = "abort_transfer"
	// KindRetryEntry sends again the one audited request Of names, on
	// behalf of the person who asks.
	KindRetryEntry Kind = "retry_entry"
	// KindRetryRequest dials those of request Of whom nobody dialled.
	KindRetryRequest Kind = "retry_request"
	// KindAct sends Verb to the party of audit entry Of (a button on an
	// outcome).
	KindAct Kind = "act"
)

// Request is one accepted piece of work. It is stored as it is (JSON) so
// that another instance can finish or explain it, which is why it holds
// only plain data.
type Request struct {
	// ID is short, random and shown to people, so that an operator can go
	// from a message to the log line and the audit entries.
	ID string `json:"id"`
	// Key makes the request once-only: a re-delivered envelope, a
	// resubmitted form or a double click carries the same key.
	Key   string `json:"key"`
	Kind  Kind   `json:"kind"`
	By    Person `json:"by"`
	Place Place  `json:"place"`
	// Reply is the front end's own routing for its answers (channel,
	// response URL, …); the service stores it and hands it back to
	// Replies.For.
	Reply []byte `json:"reply,omitempty"`

	Targets []Target `json:"targets,omitempty"`
	Role    Role     `json:"role,omitempty"`
	Verb    Verb     `json:"verb,omitempty"`
	// Note says why the people are needed; it is shown in the place.
	Note string `json:"note,omitempty"`
	// Bridge is the bridge the request names; "" means the place's.
	Bridge string `json:"bridge,omitempty"`
	// Of is the audit entry or request a retry or button refers to.
	Of string `json:"of,omitempty"`
	// Try numbers the presses of one button, so a double click counts once
	// while a second Retry after a second failure counts again.
	Try int `json:"try,omitempty"`

	// Accepted is when the request was recorded.
	Accepted time.Time `json:"at"`
}

// NewRequestID returns a fresh request ID: 12 hex digits.
func NewRequestID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// RequestState is where an accepted request stands.
type RequestState string

// The states of a Request.
const (
	StateQueued  RequestState = "queued"  // accepted, not started
	StateRunning RequestState = "running" // being worked on: PHLO requests may have gone out
	StateDone    RequestState = "done"    // finished, and its people told
)

// Acceptance is what Store.Accept made of one request.
type Acceptance int

// The answers Store.Accept gives for each request.
const (
	// Accepted: new, recorded, owned by the caller.
	Accepted Acceptance = iota + 1
	// Duplicate: the key was accepted before and its owner is alive (or it
	// is done): nothing to do.
	Duplicate
	// Adopted: the key was accepted before by an instance that has since
	// died, before finishing; the caller now owns it. State says how far
	// the dead instance got.
	Adopted
)

// Entry is one PHLO request in the audit trail (or one refusal): who asked,
// where, what, whom, on which bridge, and what came of it.
type Entry struct {
	// ID is the request ID, a slash and the entry's own suffix
	// ("3f9a…/0", "3f9a…/r1").
	ID      string
	Request string
	Verb    Verb
	By      Person
	Place   Place
	Bridge  string
	// To is the address as sent to Plivo (the member address for member
	// actions, the destination for transfers); ToUser is the person, if
	// the target was one.
	To     string
	ToUser string
	Role   Role
	// TriggerSource is the number of the person on whose behalf it went.
	TriggerSource string
	Status        Status
	APIID         string
	Cause         Cause
	// Rule is set for denials.
	Rule Rule
	// Detail is the readable reason the audit trail shows.
	Detail string

	Created, Finished time.Time
}
