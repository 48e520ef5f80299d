// Package phlo is a small net/http client for the Plivo PHLO runner's
// Multi-Party Call (MPC) node.
//
// It covers the node actions (call, warm_transfer, cold_transfer) and the
// member actions (hold, unhold, hangup, resume_call, abort_transfer,
// voicemail_drop). It deliberately avoids plivo-go: that SDK needs two GETs
// before every action, returns untyped errors (and nil for a non-2xx with an
// empty body), and cannot tell a rejected request from one whose outcome is
// unknown.
//
// The one rule the client never breaks: a request that may have reached
// Plivo is never sent again, because a second "call" could ring the same
// person twice. Only 429 responses and connection failures that happened
// before the request was handed to a connection are retried. Callers use
// [OutcomeUnknown] to tell "Plivo refused" from "Plivo may have acted".
//
// Error strings never contain the auth id, the auth token or the full
// to / trigger_source / member addresses, so callers may log them as they
// are.
package phlo
