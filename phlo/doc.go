// Package phlo is a small net/http client for the Plivo PHLO runner's
// Multi-Party Call (MPC) nodes, and the Switchboard that serves it to the
// domain core as a conference.CallControl.
//
// A Client is one Plivo account; every node method names its Node (PHLO
// id and node id), so one Client serves any number of bridges. It covers
// the node actions (call, warm_transfer, cold_transfer), the member
// actions (hold, unhold, hangup, resume_call, abort_transfer,
// voicemail_drop) and CheckNode, which verifies a node with two GETs. It
// deliberately avoids plivo-go: that SDK needs two GETs before every
// action, returns untyped errors (and nil for a non-2xx with an empty
// body), and cannot tell a rejected request from one whose outcome is
// unknown.
//
// The one rule the client never breaks: a request that may have reached
// Plivo is never sent again, because a second "call" could ring the same
// person twice. Only 429 responses and connection failures that happened
// before the request was handed to a connection are retried (and GETs,
// which change nothing). Any 2xx is a success. Callers use
// [OutcomeUnknown] to tell "Plivo refused" from "Plivo may have acted"
// (a 5xx, or a failure after sending).
//
// Plivo allows an account 300 requests per 5 s. A [Pacer], shared by all
// Clients of the account, spaces attempts to that budget and slows down
// when Plivo answers 429 anyway. [WithStop] lets a draining process end
// the waits before sending without cutting requests already in flight.
//
// Error strings never contain the auth id, the auth token or the full
// to / trigger_source / member addresses, so callers may log them as they
// are.
package phlo
