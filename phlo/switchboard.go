package phlo

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/mpc-bot/mpc-bot/conference"
)

// Switchboard is the conference.CallControl that talks to PHLO: it turns a
// conference.Command into one client call on the command's bridge and the
// client's answer into a conference.Outcome, so that the domain core never
// sees HTTP statuses or Go errors.
type Switchboard struct{ Client *Client }

var _ conference.CallControl = Switchboard{}

// Send makes one PHLO request for c. Waits before sending end when stop is
// closed (CauseShutdown); an attempt in flight is bounded by ctx only.
// Outcome.Plivo is Plivo's own text (the body's "error" or "message",
// never an excerpt of some other page): one line, at most 200 bytes, with
// credentials and addresses masked. Client must be set.
//
// Classification: any 2xx is accepted (CauseNoAPIID without an api_id);
// 401, 403, 404 (CauseNotFound on the node, CauseNotOnCall for a member),
// a 429 after every retry, and other 4xx fail; a 5xx is unknown. Not sent
// because of stop or a cancelled ctx fails with CauseShutdown, because
// ctx's deadline came (or would come) first with CauseBusy, because no
// connection could be made with CauseUnreachable. Sent and then a timeout,
// a cancelled ctx or a broken connection is unknown (CauseTimeout,
// CauseStopped, CauseConnectionCut). A command the client refuses before
// sending (unknown verb, empty address or ids) fails with CauseRejected,
// HTTP status 0 and no attempts. Anything else is unknown (CauseBadAnswer).
func (s Switchboard) Send(ctx context.Context, stop <-chan struct{}, c conference.Command) conference.Outcome {
	ctx = WithStop(ctx, stop)
	node := Node{PhloID: c.Bridge.PhloID, NodeID: c.Bridge.NodeID}
	var res Result
	var err error
	if action, ok := memberAction(c.Verb); ok {
		res, err = s.Client.UpdateMember(ctx, node, c.Member.String(), action)
	} else if action, ok := nodeAction(c.Verb); ok {
		res, err = s.Client.NodeAction(ctx, node, action, Call{
			To:            c.To.String(),
			Role:          Role(c.Role),
			TriggerSource: c.TriggerSource.String(),
		})
	} else {
		err = fmt.Errorf("phlo: %w: unknown verb", ErrInvalidRequest)
	}
	return classify(ctx, c.Verb.Member(), res, err)
}

func memberAction(v conference.Verb) (MemberAction, bool) {
	switch v {
	case conference.VerbHold:
		return MemberHold, true
	case conference.VerbUnhold:
		return MemberUnhold, true
	case conference.VerbHangup:
		return MemberHangup, true
	case conference.VerbAbortTransfer:
		return MemberAbortTransfer, true
	}
	return "", false
}

func nodeAction(v conference.Verb) (NodeAction, bool) {
	switch v {
	case conference.VerbCall:
		return ActionCall, true
	case conference.VerbWarmTransfer:
		return ActionWarmTransfer, true
	case conference.VerbColdTransfer:
		return ActionColdTransfer, true
	}
	return "", false
}

// classify turns a client answer into an Outcome (see Send).
func classify(ctx context.Context, member bool, res Result, err error) conference.Outcome {
	if err == nil {
		o := conference.Outcome{
			Status: conference.StatusAccepted, APIID: res.APIID, HTTPStatus: res.StatusCode,
			Plivo: res.Message, Attempts: res.Attempts,
		}
		if res.APIID == "" {
			o.Cause = conference.CauseNoAPIID
		}
		return o
	}
	var o conference.Outcome
	var ae *APIError
	if errors.As(err, &ae) {
		// Also when a RequestError wraps it: the last answer before a
		// wait was cut short.
		o.HTTPStatus, o.APIID, o.Plivo, o.Attempts = ae.StatusCode, ae.APIID, ae.plivo, ae.Attempts
	}
	var re *RequestError
	if errors.As(err, &re) {
		o.Attempts = re.Attempts
		o.Status, o.Cause = requestCause(ctx, re)
		return o
	}
	switch {
	case ae == nil && errors.Is(err, ErrInvalidRequest):
		o.Status, o.Cause = conference.StatusFailed, conference.CauseRejected
	case ae == nil:
		o.Status, o.Cause = conference.StatusUnknown, conference.CauseBadAnswer
	default:
		o.Status, o.Cause = answerCause(ae.StatusCode, member)
	}
	return o
}

// requestCause classifies a call that got no answer.
func requestCause(ctx context.Context, re *RequestError) (conference.Status, conference.Cause) {
	if re.Sent {
		switch {
		case errors.Is(re, context.Canceled):
			return conference.StatusUnknown, conference.CauseStopped
		case re.Timeout():
			return conference.StatusUnknown, conference.CauseTimeout
		}
		return conference.StatusUnknown, conference.CauseConnectionCut
	}
	switch {
	case errors.Is(re, ErrStopped), errors.Is(re, context.Canceled):
		return conference.StatusFailed, conference.CauseShutdown
	case errors.Is(re, context.DeadlineExceeded) && (re.waited || ctx.Err() != nil):
		// The caller's deadline, not a connect timeout of one attempt.
		return conference.StatusFailed, conference.CauseBusy
	}
	return conference.StatusFailed, conference.CauseUnreachable
}

// answerCause classifies a non-2xx answer.
func answerCause(status int, member bool) (conference.Status, conference.Cause) {
	switch {
	case status == http.StatusUnauthorized:
		return conference.StatusFailed, conference.CauseCredentials
	case status == http.StatusForbidden:
		return conference.StatusFailed, conference.CauseForbidden
	case status == http.StatusNotFound && member:
		return conference.StatusFailed, conference.CauseNotOnCall
	case status == http.StatusNotFound:
		return conference.StatusFailed, conference.CauseNotFound
	case status == http.StatusTooManyRequests:
		return conference.StatusFailed, conference.CauseRateLimited
	case status >= 400 && status <= 499:
		return conference.StatusFailed, conference.CauseRejected
	case status >= 500 && status <= 599:
		return conference.StatusUnknown, conference.CauseServerError
	}
	// 1xx, 3xx: nothing PHLO sends; assume the worst.
	return conference.StatusUnknown, conference.CauseBadAnswer
}
