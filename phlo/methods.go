package phlo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// AddMember dials call.To and adds them to node's multi-party call
// (action "call").
func (c *Client) AddMember(ctx context.Context, node Node, call Call) (Result, error) {
	return c.NodeAction(ctx, node, ActionCall, call)
}

// WarmTransfer has call.TriggerSource transfer the member to call.To,
// talking privately to call.To first (action "warm_transfer").
func (c *Client) WarmTransfer(ctx context.Context, node Node, call Call) (Result, error) {
	return c.NodeAction(ctx, node, ActionWarmTransfer, call)
}

// ColdTransfer connects the member straight to call.To and drops
// call.TriggerSource (action "cold_transfer").
func (c *Client) ColdTransfer(ctx context.Context, node Node, call Call) (Result, error) {
	return c.NodeAction(ctx, node, ActionColdTransfer, call)
}

// NodeAction POSTs any node action to node. AddMember, WarmTransfer and
// ColdTransfer are shorthands; this is the entry point for code that
// picks the action at run time. Phone numbers in To and TriggerSource are
// written in the client's NumberFormat.
func (c *Client) NodeAction(ctx context.Context, node Node, action NodeAction, call Call) (Result, error) {
	op := string(action)
	if !action.Valid() {
		return Result{}, fmt.Errorf("phlo: node action: %w: unknown action", ErrInvalidRequest)
	}
	if call.Role == "" {
		call.Role = RoleAgent
	}
	bad := node.problems()
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
	to, trigger := c.numbers.apply(call.To), c.numbers.apply(call.TriggerSource)
	// Field order matches Plivo's docs, which makes captured bodies easy
	// to compare.
	body, err := json.Marshal(struct {
		Action        NodeAction `json:"action"`
		To            string     `json:"to"`
		Role          Role       `json:"role"`
		TriggerSource string     `json:"trigger_source"`
	}{action, to, call.Role, trigger})
	if err != nil { // cannot happen for strings; kept for safety
		return Result{}, fmt.Errorf("phlo: %s: encoding body: %w", op, err)
	}
	res, _, err := c.do(ctx, request{
		op:      op,
		path:    node.path(),
		body:    body,
		secrets: []string{call.To, call.TriggerSource, to, trigger},
	})
	return res, err
}

// UpdateMember POSTs a member action for memberAddress on node: the phone
// number or SIP endpoint the member was added with as To (phone numbers
// are written in the client's NumberFormat, as To was). The address is
// path-escaped (url.PathEscape keeps "+", ":" and "@", so "+14155550100"
// and "sip:alice@phone.plivo.com" go out literally).
func (c *Client) UpdateMember(ctx context.Context, node Node, memberAddress string, action MemberAction) (Result, error) {
	op := "member " + string(action)
	if !action.Valid() {
		return Result{}, fmt.Errorf("phlo: member action: %w: unknown action", ErrInvalidRequest)
	}
	if err := node.Validate(); err != nil {
		return Result{}, fmt.Errorf("phlo: %s: %w", op, err)
	}
	if strings.TrimSpace(memberAddress) == "" {
		return Result{}, fmt.Errorf("phlo: %s: %w: empty member address", op, ErrInvalidRequest)
	}
	if memberAddress == "." || memberAddress == ".." {
		// Not escaped by PathEscape; would address the node itself.
		return Result{}, fmt.Errorf("phlo: %s: %w: member address is a dot segment", op, ErrInvalidRequest)
	}
	addr := c.numbers.apply(memberAddress)
	body, err := json.Marshal(struct {
		Action MemberAction `json:"action"`
	}{action})
	if err != nil {
		return Result{}, fmt.Errorf("phlo: %s: encoding body: %w", op, err)
	}
	res, _, err := c.do(ctx, request{
		op:      op,
		path:    node.path() + "/members/" + url.PathEscape(addr),
		body:    body,
		secrets: []string{memberAddress, addr},
	})
	return res, err
}
