package phlo

import (
	"fmt"
	"strings"
)

// Role is the MPC role of a participant added or transferred by a node
// action. Plivo applies different hold music and permissions per role.
type Role string

// Roles accepted by Plivo. The values are the exact lowercase wire strings.
const (
	RoleAgent    Role = "agent"
	RoleCustomer Role = "customer"
)

// Valid reports whether r is one of the roles Plivo accepts.
func (r Role) Valid() bool { return r == RoleAgent || r == RoleCustomer }

// ParseRole turns user input such as "Agent" or " customer " into a Role.
// It is case-insensitive because the value usually comes from a human typing
// a slash command; the result is always the lowercase wire value.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if !r.Valid() {
		// The input is not echoed: a user may have typed a phone number into
		// the wrong slot, and error strings must never carry numbers.
		return "", fmt.Errorf("phlo: invalid role (want %q or %q)", RoleAgent, RoleCustomer)
	}
	return r, nil
}

// NodeAction is an action POSTed to the MPC node itself. All node actions
// share one URL and one body shape ({action, to, role, trigger_source}).
type NodeAction string

// Node actions of the PHLO MPC node.
const (
	// ActionCall dials To and adds them to the multi-party call.
	ActionCall NodeAction = "call"
	// ActionWarmTransfer lets TriggerSource talk privately to To before the
	// member being transferred joins them.
	ActionWarmTransfer NodeAction = "warm_transfer"
	// ActionColdTransfer connects the member straight to To and drops
	// TriggerSource from the call.
	ActionColdTransfer NodeAction = "cold_transfer"
)

// Valid reports whether a is a known node action.
func (a NodeAction) Valid() bool {
	switch a {
	case ActionCall, ActionWarmTransfer, ActionColdTransfer:
		return true
	}
	return false
}

// MemberAction is an action POSTed to one member of the MPC
// (.../members/{member_address}) with the body {"action": X}.
type MemberAction string

// Member actions of the PHLO MPC node (the six listed by all Plivo SDKs).
const (
	MemberHold          MemberAction = "hold"
	MemberUnhold        MemberAction = "unhold"
	MemberHangup        MemberAction = "hangup"
	MemberResumeCall    MemberAction = "resume_call"
	MemberAbortTransfer MemberAction = "abort_transfer"
	MemberVoicemailDrop MemberAction = "voicemail_drop"
)

// Valid reports whether a is a known member action.
func (a MemberAction) Valid() bool {
	switch a {
	case MemberHold, MemberUnhold, MemberHangup, MemberResumeCall, MemberAbortTransfer, MemberVoicemailDrop:
		return true
	}
	return false
}

// ParseMemberAction turns user input such as "Hold" or "resume_call" into a
// MemberAction. Like ParseRole it is case-insensitive for human input; a
// hyphen is accepted in place of the underscore ("resume-call").
func ParseMemberAction(s string) (MemberAction, error) {
	a := MemberAction(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_"))
	if !a.Valid() {
		return "", fmt.Errorf("phlo: invalid member action (want one of %s, %s, %s, %s, %s, %s)",
			MemberHold, MemberUnhold, MemberHangup, MemberResumeCall, MemberAbortTransfer, MemberVoicemailDrop)
	}
	return a, nil
}

// Call holds the parameters of a node action.
type Call struct {
	// To is the phone number or SIP endpoint to dial (or transfer to).
	// Normalise it first (package address): later member actions must
	// name the same member. Phone numbers are written in the client's
	// NumberFormat; anything else is sent as is.
	To string
	// Role of the dialled party. Empty means RoleAgent, which is Plivo's
	// documented default; the field is always sent because the docs also
	// list it as required.
	Role Role
	// TriggerSource is the phone number or SIP endpoint of the agent who
	// starts the action (for transfers: the member who transfers).
	TriggerSource string
}

// Result describes a request Plivo accepted (any 2xx).
type Result struct {
	// APIID is Plivo's request id ("api_id" or "ApiID"); quote it when
	// asking Plivo support. Empty when the answer carried none, which
	// does not make the request any less accepted.
	APIID string
	// Message is a non-empty "error" field of the 2xx answer: Plivo acted
	// but had something to say. Bounded and masked like APIError.Message.
	Message string
	// StatusCode is the HTTP status of the accepted response (201, or any
	// other 2xx).
	StatusCode int
	// Attempts is how many HTTP requests were made, including ones refused
	// with 429 or that failed to connect.
	Attempts int
}
