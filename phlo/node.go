package phlo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Node identifies one Multi-Party Call node: the PHLO it belongs to and
// the node's own id, both as shown in the PHLO console.
type Node struct{ PhloID, NodeID string }

// Validate reports an id that cannot be sent: empty, or a dot segment
// ("." or ".."), which url.PathEscape leaves alone and which proxies
// would resolve away, hitting a different URL. The ids are not echoed.
func (n Node) Validate() error {
	if bad := n.problems(); len(bad) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidRequest, strings.Join(bad, ", "))
	}
	return nil
}

func (n Node) problems() []string {
	var bad []string
	for _, f := range []struct{ name, v string }{{"PhloID", n.PhloID}, {"NodeID", n.NodeID}} {
		switch {
		case strings.TrimSpace(f.v) == "":
			bad = append(bad, "empty "+f.name)
		case f.v == "." || f.v == "..":
			bad = append(bad, f.name+" is a dot segment")
		}
	}
	return bad
}

// phloPath is the escaped path of the PHLO.
func (n Node) phloPath() string { return "/v1/phlo/" + url.PathEscape(n.PhloID) }

// path is the escaped path of the MPC node.
func (n Node) path() string {
	return n.phloPath() + "/multi_party_call/" + url.PathEscape(n.NodeID)
}

// NodeInfo is what CheckNode learnt about a working node, for a startup
// log line or a "bridges" listing.
type NodeInfo struct {
	// PhloName is the PHLO's name in the console.
	PhloName string
	// NodeName is the node's name in the PHLO, e.g. "Multi-Party Call_1".
	NodeName string
}

// CheckStep names the request CheckNode was making when it failed.
type CheckStep string

// The steps of CheckNode, in order.
const (
	StepPhlo CheckStep = "phlo" // GET /v1/phlo/{phlo_id}
	StepNode CheckStep = "node" // GET /v1/phlo/{phlo_id}/multi_party_call/{node_id}
)

// CheckReason says why a node check failed, so that a caller can give
// each case its own advice (fix credentials, enable PHLO, fix an id, ...).
type CheckReason string

// The reasons of CheckError.
const (
	CheckInvalid      CheckReason = "invalid"         // the Node fails Validate; nothing was sent
	CheckUnauthorized CheckReason = "unauthorized"    // 401: wrong auth id or token
	CheckForbidden    CheckReason = "forbidden"       // 403: PHLO not enabled, or account not verified
	CheckNotFound     CheckReason = "not_found"       // 404: no such PHLO or node, or PHLO not deployed
	CheckWrongType    CheckReason = "wrong_node_type" // the node exists but is not a multi_party_call
	CheckRateLimited  CheckReason = "rate_limited"    // 429 after every attempt
	CheckNetwork      CheckReason = "network"         // no answer: connection failed or timed out
	CheckCancelled    CheckReason = "cancelled"       // the caller's context ended, or stop closed
	CheckOther        CheckReason = "other"           // any other answer (400, 5xx, a body that is not JSON)
)

// ErrNotMultiPartyCall is wrapped by a CheckError whose node is of another
// type (e.g. a conference_bridge): the MPC actions would not work on it.
var ErrNotMultiPartyCall = errors.New("node is not a multi_party_call")

// CheckError is CheckNode's error: which step failed and why. Err is the
// underlying *APIError or *RequestError (or ErrInvalidRequest /
// ErrNotMultiPartyCall), reachable with errors.As / errors.Is.
type CheckError struct {
	Step   CheckStep
	Reason CheckReason
	// NodeType is the node_type Plivo reported, for CheckWrongType.
	NodeType string
	Err      error
}

func (e *CheckError) Error() string {
	return fmt.Sprintf("phlo: check node: %s step: %s: %s", e.Step, e.Reason,
		strings.TrimPrefix(e.Err.Error(), "phlo: "))
}

// Unwrap returns Err.
func (e *CheckError) Unwrap() error { return e.Err }

// nodeTypeMPC is the node_type of a Multi-Party Call node.
const nodeTypeMPC = "multi_party_call"

// CheckNode verifies, without changing anything, that node exists and is
// a Multi-Party Call that these credentials may use: GET the PHLO, then
// GET the node. Run it at startup and when bridges change, so that a typo
// in an id shows up before somebody needs a call. Both GETs are paced and,
// as they change nothing, retried on any failure within MaxAttempts. A
// failure is always a *CheckError.
func (c *Client) CheckNode(ctx context.Context, node Node) (NodeInfo, error) {
	if err := node.Validate(); err != nil {
		return NodeInfo{}, &CheckError{Step: StepPhlo, Reason: CheckInvalid, Err: fmt.Errorf("phlo: check node: %w", err)}
	}
	var info NodeInfo
	var phlo struct {
		Name string `json:"name"`
	}
	if err := c.get(ctx, "get phlo", node.phloPath(), &phlo); err != nil {
		return NodeInfo{}, checkError(StepPhlo, err)
	}
	info.PhloName = excerpt([]byte(phlo.Name))
	var n struct {
		Name     string `json:"name"`
		NodeType string `json:"node_type"`
	}
	if err := c.get(ctx, "get node", node.path(), &n); err != nil {
		return NodeInfo{}, checkError(StepNode, err)
	}
	if n.NodeType != nodeTypeMPC {
		t := excerpt([]byte(n.NodeType))
		return NodeInfo{}, &CheckError{Step: StepNode, Reason: CheckWrongType, NodeType: t,
			Err: fmt.Errorf("phlo: get node: node_type %q: %w", t, ErrNotMultiPartyCall)}
	}
	info.NodeName = excerpt([]byte(n.Name))
	return info, nil
}

// get sends an idempotent GET and decodes a JSON object answer into v.
func (c *Client) get(ctx context.Context, op, path string, v any) error {
	res, body, err := c.do(ctx, request{op: op, method: http.MethodGet, path: path, idempotent: true})
	if err != nil {
		return err
	}
	if json.Unmarshal(body, v) != nil {
		return fmt.Errorf("phlo: %s: HTTP %d answer is not a JSON object", op, res.StatusCode)
	}
	return nil
}

// checkError classifies a failed GET.
func checkError(step CheckStep, err error) *CheckError {
	ce := &CheckError{Step: step, Reason: CheckOther, Err: err}
	var re *RequestError
	var ae *APIError
	switch {
	case errors.As(err, &re):
		ce.Reason = CheckNetwork
		if errors.Is(err, ErrStopped) || errors.Is(err, context.Canceled) || re.waited {
			ce.Reason = CheckCancelled
		}
	case errors.As(err, &ae):
		switch ae.StatusCode {
		case http.StatusUnauthorized:
			ce.Reason = CheckUnauthorized
		case http.StatusForbidden:
			ce.Reason = CheckForbidden
		case http.StatusNotFound:
			ce.Reason = CheckNotFound
		case http.StatusTooManyRequests:
			ce.Reason = CheckRateLimited
		}
	}
	return ce
}
