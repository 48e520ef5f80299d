package phlo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// ErrInvalidRequest is wrapped by errors for calls rejected before anything
// was sent (empty To, unknown action, ...). Such calls never reach Plivo.
var ErrInvalidRequest = errors.New("invalid request")

// APIError is returned when Plivo answered with a status other than 2xx.
// (Any 2xx is a success, whatever its body says.)
type APIError struct {
	// Op names the action, e.g. "call" or "member hold".
	Op string
	// StatusCode is the HTTP status of the last response.
	StatusCode int
	// APIID is Plivo's request id when the body carried one.
	APIID string
	// Message is Plivo's "error" text when the body is JSON, otherwise a
	// short (at most 200 bytes) excerpt of the body, otherwise empty.
	// Known secrets and addresses are masked in it.
	Message string
	// RetryAfter is the server's Retry-After (seconds or HTTP-date), zero
	// if absent. It is the server's value, not capped by MaxRetryWait, so a
	// caller can tell a user when to try again.
	RetryAfter time.Duration
	// Attempts is how many HTTP requests were made in total.
	Attempts int

	// plivo is Message when it came from the body's "error" or "message"
	// field, i.e. Plivo's own words rather than an excerpt of some page.
	plivo string
}

// Error formats e as "phlo: <op>: HTTP <status> <text>: <message>", plus
// the attempt count and api_id when useful.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "phlo: %s: HTTP %d", e.Op, e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteString(" " + t)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	if e.APIID != "" {
		fmt.Fprintf(&b, " [api_id %s]", e.APIID)
	}
	return b.String()
}

// BadRequest reports a 400: a missing or invalid parameter.
func (e *APIError) BadRequest() bool { return e.StatusCode == http.StatusBadRequest }

// Unauthorized reports a 401: wrong auth id or token.
func (e *APIError) Unauthorized() bool { return e.StatusCode == http.StatusUnauthorized }

// Forbidden reports a 403: PHLO not enabled or account not verified.
func (e *APIError) Forbidden() bool { return e.StatusCode == http.StatusForbidden }

// NotFound reports a 404: unknown PHLO or node id, or PHLO not deployed.
func (e *APIError) NotFound() bool { return e.StatusCode == http.StatusNotFound }

// RateLimited reports a 429 that was still returned after all attempts.
func (e *APIError) RateLimited() bool { return e.StatusCode == http.StatusTooManyRequests }

// ServerError reports a 5xx. Plivo may have acted before failing.
func (e *APIError) ServerError() bool { return e.StatusCode >= 500 && e.StatusCode <= 599 }

// OutcomeUnknown reports whether Plivo may have acted despite the error,
// which for an answer is only a 5xx: Plivo may have failed after acting.
func (e *APIError) OutcomeUnknown() bool { return e.ServerError() }

// RequestError is returned when no HTTP response was obtained: dial, TLS or
// transport failures, timeouts, cancellation, a closed stop channel
// (ErrStopped), or a wait for the pacer or a retry that would outlast the
// caller's deadline (wrapping context.DeadlineExceeded).
type RequestError struct {
	// Op names the action, e.g. "call" or "member hold".
	Op string
	// Sent is true when the request may have reached Plivo: a connection
	// had been obtained for it (so it may have been written) before the
	// failure. A timeout after sending has Sent == true. When Sent is
	// false, Plivo provably did nothing.
	Sent bool
	// Err is the underlying error, with secrets and addresses masked in its
	// message. errors.Is/As see through it (context.DeadlineExceeded,
	// *net.OpError, ...).
	Err error
	// Attempts is how many HTTP requests were tried in total.
	Attempts int

	// waited is set when the call ended while waiting to send (pacer,
	// back-off) rather than during an attempt.
	waited bool
}

// Error formats e as "phlo: <op>: request not sent: <cause>" or
// "phlo: <op>: request may have reached Plivo: <cause>".
func (e *RequestError) Error() string {
	state := "request not sent"
	if e.Sent {
		state = "request may have reached Plivo"
	}
	s := fmt.Sprintf("phlo: %s: %s: %v", e.Op, state, e.Err)
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	return s
}

// Unwrap returns Err so that errors.Is(err, context.Canceled) and similar
// work.
func (e *RequestError) Unwrap() error { return e.Err }

// Timeout reports whether the failure was a timeout (the per-attempt
// Timeout, the caller's deadline or a network timeout).
func (e *RequestError) Timeout() bool {
	if errors.Is(e.Err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(e.Err, &ne) && ne.Timeout()
}

// OutcomeUnknown reports whether Plivo may have acted even though err is
// non-nil: a transport failure after the request was handed to a
// connection (including timeouts after sending), or a 5xx.
// Callers should then tell the user to check the call instead of retrying.
// It is false for nil errors, for refusals (4xx, including a final 429) and
// for failures before sending.
func OutcomeUnknown(err error) bool {
	// RequestError first: when the caller's context ends while waiting to
	// retry, a RequestError{Sent: false} wraps the last APIError, and the
	// outer value is the one that describes the whole call.
	var re *RequestError
	if errors.As(err, &re) {
		return re.Sent
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.OutcomeUnknown()
	}
	return false
}

// redactedError masks secrets in the message of an underlying error while
// keeping it reachable for errors.Is/As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
