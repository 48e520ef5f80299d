package phlo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// AddMember dials call.To and adds them to the multi-party call
// (action "call").
func (c *Client) AddMember(ctx context.Context, call Call) (Result, error) {
	return c.NodeAction(ctx, ActionCall, call)
}

// WarmTransfer has call.TriggerSource transfer the member to call.To,
// talking privately to call.To first (action "warm_transfer").
func (c *Client) WarmTransfer(ctx context.Context, call Call) (Result, error) {
	return c.NodeAction(ctx, ActionWarmTransfer, call)
}

// ColdTransfer connects the member straight to call.To and drops
// call.TriggerSource (action "cold_transfer").
func (c *Client) ColdTransfer(ctx context.Context, call Call) (Result, error) {
	return c.NodeAction(ctx, ActionColdTransfer, call)
}

// NodeAction POSTs any node action to the MPC node. AddMember,
// WarmTransfer and ColdTransfer are shorthands; this is the entry point for
// code that picks the action at run time.
func (c *Client) NodeAction(ctx context.Context, action NodeAction, call Call) (Result, error) {
	op := string(action)
	if !action.Valid() {
		return Result{}, fmt.Errorf("phlo: node action: %w: unknown action", ErrInvalidRequest)
	}
	if call.Role == "" {
		call.Role = RoleAgent
	}
	var bad []string
	if strings.TrimSpace(call.To) == "" {
		bad = append(bad, "empty To")
	}
	if !call.Role.Valid() {
		bad = append(bad, "invalid Role")
	}
	if strings.TrimSpace(call.TriggerSource) == "" {
		bad = append(bad, "empty TriggerSource")
	}
	if len(bad) > 0 {
		return Result{}, fmt.Errorf("phlo: %s: %w: %s", op, ErrInvalidRequest, strings.Join(bad, ", "))
	}
	// Field order matches Plivo's docs, which makes captured bodies easy
	// to compare.
	body, err := json.Marshal(struct {
		Action        NodeAction `json:"action"`
		To            string     `json:"to"`
		Role          Role       `json:"role"`
		TriggerSource string     `json:"trigger_source"`
	}{action, call.To, call.Role, call.TriggerSource})
	if err != nil { // cannot happen for strings; kept for safety
		return Result{}, fmt.Errorf("phlo: %s: encoding body: %w", op, err)
	}
	return c.do(ctx, request{
		op:      op,
		path:    c.nodePath,
		body:    body,
		secrets: []string{call.To, call.TriggerSource},
	})
}

// UpdateMember POSTs a member action for memberAddress, the phone number
// or SIP endpoint exactly as it was used as To when the member was added.
// The address is path-escaped (url.PathEscape keeps "+", ":" and "@", so
// "+14155550100" and "sip:alice@phone.plivo.com" go out literally).
func (c *Client) UpdateMember(ctx context.Context, memberAddress string, action MemberAction) (Result, error) {
	op := "member " + string(action)
	if !action.Valid() {
		return Result{}, fmt.Errorf("phlo: member action: %w: unknown action", ErrInvalidRequest)
	}
	if strings.TrimSpace(memberAddress) == "" {
		return Result{}, fmt.Errorf("phlo: %s: %w: empty member address", op, ErrInvalidRequest)
	}
	if memberAddress == "." || memberAddress == ".." {
		// Not escaped by PathEscape; would address the node itself.
		return Result{}, fmt.Errorf("phlo: %s: %w: member address is a dot segment", op, ErrInvalidRequest)
	}
	body, err := json.Marshal(struct {
		Action MemberAction `json:"action"`
	}{action})
	if err != nil {
		return Result{}, fmt.Errorf("phlo: %s: encoding body: %w", op, err)
	}
	return c.do(ctx, request{
		op:      op,
		path:    c.nodePath + "/members/" + url.PathEscape(memberAddress),
		body:    body,
		secrets: []string{memberAddress},
	})
}
