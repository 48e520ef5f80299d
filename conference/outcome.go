package conference

import "fmt"

// Status is where one audited PHLO request stands.
type Status string

// The statuses. Every request is recorded as pending before Plivo is asked,
// so that a process killed mid-request leaves a trace, and moves to exactly
// one final status afterwards.
const (
	StatusPending  Status = "pending"  // recorded; Plivo's answer not yet known
	StatusAccepted Status = "accepted" // Plivo accepted it (any 2xx)
	StatusFailed   Status = "failed"   // nothing was done: Plivo refused, or it was never sent
	StatusUnknown  Status = "unknown"  // Plivo may or may not have acted
	StatusDenied   Status = "denied"   // mpc-bot's own rules refused it; never sent
)

// Final reports whether s is an end state.
func (s Status) Final() bool { return s != StatusPending && s != "" }

// Cause says why a request was not simply accepted (or, for an accepted
// one, what is worth knowing). It is stored with the audit entry, so its
// values are a stable vocabulary; Summary turns one into words.
type Cause string

// The causes. Front ends may explain each in their own words and advice;
// Summary is the plain sentence the audit trail keeps.
const (
	CauseNone Cause = ""
	// Accepted, but Plivo's answer carried no api_id.
	CauseNoAPIID Cause = "no_api_id"

	// Failed: nothing reached Plivo, or Plivo refused.
	CauseCredentials   Cause = "plivo_credentials"    // 401
	CauseForbidden     Cause = "plivo_forbidden"      // 403
	CauseNotFound      Cause = "plivo_not_found"      // 404 on the node
	CauseNotOnCall     Cause = "plivo_member_gone"    // 404 on a member: they left the call
	CauseRateLimited   Cause = "plivo_rate_limited"   // 429 after every retry
	CauseRejected      Cause = "plivo_rejected"       // 400 and other 4xx
	CauseUnreachable   Cause = "plivo_unreachable"    // never sent: no connection
	CauseBusy          Cause = "busy"                 // never sent: its turn did not come in time
	CauseShutdown      Cause = "shutdown"             // never sent: mpc-bot was restarting
	CauseInterrupted   Cause = "interrupted"          // never sent: the process died first
	CauseNotRecorded   Cause = "not_recorded"         // never sent: the audit trail could not be written
	CauseServerError   Cause = "plivo_server_error"   // 5xx: unknown
	CauseTimeout       Cause = "plivo_timeout"        // sent, no answer in time: unknown
	CauseConnectionCut Cause = "plivo_connection_cut" // sent, connection broke: unknown
	CauseStopped       Cause = "stopped_after_send"   // sent, then the process stopped: unknown
	CauseBadAnswer     Cause = "plivo_bad_answer"     // any other answer: unknown
)

// Summary is the cause in one plain sentence, for the audit trail and the
// history; it carries no markup and no advice.
func (c Cause) Summary() string {
	switch c {
	case CauseNone:
		return ""
	case CauseNoAPIID:
		return "Plivo accepted the request (no api_id given)"
	case CauseCredentials:
		return "Plivo rejected mpc-bot's credentials"
	case CauseForbidden:
		return "Plivo refused: PHLO is not enabled on the account, or the account is not verified"
	case CauseNotFound:
		return "Plivo does not know this PHLO or its node, or the PHLO is not deployed"
	case CauseNotOnCall:
		return "Plivo has no such member on the call (they may have hung up already)"
	case CauseRateLimited:
		return "Plivo was rate-limiting the account"
	case CauseRejected:
		return "Plivo refused the request as invalid"
	case CauseUnreachable:
		return "mpc-bot could not reach Plivo"
	case CauseBusy:
		return "mpc-bot was too busy to send it in time"
	case CauseShutdown:
		return "mpc-bot was restarting before it could call Plivo"
	case CauseInterrupted:
		return "mpc-bot stopped before it could call Plivo"
	case CauseNotRecorded:
		return "mpc-bot could not record the request in its database"
	case CauseServerError:
		return "Plivo had an internal error"
	case CauseTimeout:
		return "Plivo did not answer in time"
	case CauseConnectionCut:
		return "the connection to Plivo broke after the request was sent"
	case CauseStopped:
		return "mpc-bot stopped before Plivo answered"
	case CauseBadAnswer:
		return "Plivo gave an answer mpc-bot did not understand"
	}
	return string(c)
}

// Outcome is what became of one PHLO request.
type Outcome struct {
	Status Status
	// APIID is Plivo's request id, when it gave one.
	APIID string
	// Cause says why the request was not simply accepted.
	Cause Cause
	// HTTPStatus is Plivo's HTTP status, 0 when none came back.
	HTTPStatus int
	// Plivo is Plivo's own message, bounded plain text, "" if none.
	Plivo string
	// Attempts counts the HTTP requests made (429s and failed connections
	// are retried).
	Attempts int
}

// Accepted reports whether Plivo accepted the request.
func (o Outcome) Accepted() bool { return o.Status == StatusAccepted }

// Summary is the outcome in one plain sentence, as the audit trail keeps
// it: the cause, the HTTP status and Plivo's words.
func (o Outcome) Summary() string {
	s := o.Cause.Summary()
	if o.HTTPStatus != 0 && !o.Accepted() {
		s += fmt.Sprintf(" (HTTP %d)", o.HTTPStatus)
	}
	if o.Plivo != "" {
		if s != "" {
			s += ". "
		}
		s += "Plivo said: " + o.Plivo
	}
	return s
}

// NotSent is an outcome for a request that never reached Plivo.
func NotSent(c Cause) Outcome { return Outcome{Status: StatusFailed, Cause: c} }
