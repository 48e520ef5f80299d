package conference

// Verb is what one audited PHLO request does.
type Verb string

// The verbs, named as Plivo names the action.
const (
	VerbCall          Verb = "call"
	VerbHold          Verb = "hold"
	VerbUnhold        Verb = "unhold"
	VerbHangup        Verb = "hangup"
	VerbWarmTransfer  Verb = "warm_transfer"
	VerbColdTransfer  Verb = "cold_transfer"
	VerbAbortTransfer Verb = "abort_transfer"
	// VerbBind is no PHLO request: it records that a channel was bound to
	// a bridge, which the audit trail keeps beside the calls.
	VerbBind Verb = "bind"
)

// Member reports whether v acts on one member of the call
// (…/members/{address}) rather than on the node.
func (v Verb) Member() bool {
	return v == VerbHold || v == VerbUnhold || v == VerbHangup || v == VerbAbortTransfer
}

// Transfer reports whether v hands a caller over to someone else.
func (v Verb) Transfer() bool { return v == VerbWarmTransfer || v == VerbColdTransfer }

// Valid reports whether v is a known verb.
func (v Verb) Valid() bool {
	switch v {
	case VerbCall, VerbHold, VerbUnhold, VerbHangup, VerbWarmTransfer, VerbColdTransfer, VerbAbortTransfer, VerbBind:
		return true
	}
	return false
}
