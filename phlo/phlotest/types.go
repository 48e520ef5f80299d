package phlotest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// Request is one request as the server saw it.
type Request struct {
	Method string
	// Path is the path exactly as sent on the wire (still escaped),
	// without the query.
	Path string
	// PhloID, NodeID and MemberAddress are the unescaped path segments,
	// which say which PHLO and node the request was for (known or not);
	// empty when the path does not have them.
	PhloID, NodeID, MemberAddress string
	// Header is a copy of the request headers (Authorization included).
	Header http.Header
	// AuthOK reports whether basic auth matched the configured
	// credentials.
	AuthOK bool
	// Action, To, Role and TriggerSource are the body's string fields, when
	// the body is a JSON object and they are strings.
	Action, To, Role, TriggerSource string
	// RawBody is the body (at most 1 MiB of it).
	RawBody []byte
	// Status and APIID are what the server chose to answer. The answer may
	// not have been delivered if the client gave up during a Delay.
	Status int
	APIID  string
	// At is when the request was received.
	At time.Time
}

func (r Request) clone() Request {
	r.Header = r.Header.Clone()
	r.RawBody = slices.Clone(r.RawBody)
	return r
}

// Response is a canned answer for Enqueue.
type Response struct {
	// Status is the HTTP status to send with Body. Zero means "default
	// behaviour" (validation and a normal Plivo answer), still with Header
	// added and Delay applied, which is how to make a valid request slow.
	Status int
	// Body is sent verbatim when Status is non-zero.
	Body string
	// Header is added to the response. Content-Type defaults to
	// application/json when Body is valid JSON.
	Header http.Header
	// Delay holds the response back. It ends early, without answering,
	// when the client goes away (e.g. its timeout fired) or the server is
	// closed, so a hung response never blocks Close.
	Delay time.Duration
}

// Node is a PHLO node the fake knows (Config.Nodes).
type Node struct {
	PhloID, NodeID string
	// PhloName and NodeName are what the GET endpoints answer as "name".
	// Defaults DefaultPhloName and DefaultNodeName. Nodes of one PHLO
	// share the first PhloName given.
	PhloName, NodeName string
	// NodeType is the node_type the GET answers. Default NodeTypeMPC; a
	// node of any other type answers actions with 404, as its URL names a
	// multi_party_call that is not there.
	NodeType string
}

func (n Node) withDefaults() Node {
	if n.PhloName == "" {
		n.PhloName = DefaultPhloName
	}
	if n.NodeName == "" {
		n.NodeName = DefaultNodeName
	}
	if n.NodeType == "" {
		n.NodeType = NodeTypeMPC
	}
	return n
}

// Limit is a request budget: Requests per Per (Config.AccountLimit).
type Limit struct {
	Requests int
	Per      time.Duration
}

// Failure is a persistent failure mode (Server.SetFailure).
type Failure struct {
	// Status answers every request with this status and a Plivo-style
	// JSON body (its "error" is the status text; a 2xx gets a fresh
	// api_id and no error). Zero means normal answers.
	Status int
	// Delay holds every answer back, like Response.Delay.
	Delay time.Duration
}

// JSONResponse returns a Plivo-style response {"api_id": <new uuid>,
// "error": errMsg} with the given status: JSONResponse(200, "") is a
// success with status 200, JSONResponse(403, "...") a refusal.
func JSONResponse(status int, errMsg string) Response {
	return Response{
		Status: status,
		Body:   string(plivoBody(NewAPIID(), errMsg)),
		Header: http.Header{"Content-Type": {"application/json"}},
	}
}

// plivoBody encodes the PHLO action response shape.
func plivoBody(apiID, errMsg string) []byte {
	b, _ := json.Marshal(struct {
		APIID string `json:"api_id"`
		Error string `json:"error"`
	}{apiID, errMsg})
	return b
}

// NewAPIID returns a random UUID version 4 string, the format of Plivo's
// api_id.
func NewAPIID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])  // never fails (crypto/rand since Go 1.24)
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
