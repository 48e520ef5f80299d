package phlotest

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxRequestBody bounds what the fake reads (and records) per request.
const maxRequestBody = 1 << 20

// Plivo's documented action values.
var (
	nodeActions   = []string{"call", "warm_transfer", "cold_transfer"}
	memberActions = []string{"hold", "unhold", "hangup", "resume_call", "abort_transfer", "voicemail_drop"}
	roles         = []string{"agent", "customer"}
)

// reply is what the handler will write.
type reply struct {
	status int
	body   []byte
	apiID  string
}

// ServeHTTP records the request, applies the account limit, picks a
// queued, failing or default answer, applies the delay and writes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	rec := Request{
		Method:  r.Method,
		Path:    wirePath(r),
		Header:  r.Header.Clone(),
		AuthOK:  s.authOK(r),
		RawBody: raw,
		At:      time.Now(),
	}
	rt := parseRoute(rec.Path)
	rec.PhloID, rec.NodeID, rec.MemberAddress = rt.phloID, rt.nodeID, rt.member
	fields, jsonErr := parseBody(raw)
	if jsonErr == nil {
		rec.Action, rec.To = fields.str("action"), fields.str("to")
		rec.Role, rec.TriggerSource = fields.str("role"), fields.str("trigger_source")
	}

	p := s.next()
	var rep reply
	var delay time.Duration
	switch {
	case p.limited:
		id := NewAPIID()
		rep = reply{status: http.StatusTooManyRequests, body: plivoBody(id, limitMessage(s.cfg.AccountLimit)), apiID: id}
		w.Header().Set("Content-Type", "application/json")
	case p.queued && p.canned.Status != 0:
		rep = reply{status: p.canned.Status, body: []byte(p.canned.Body)}
		var env struct {
			APIID string `json:"api_id"`
		}
		if json.Unmarshal(rep.body, &env) == nil {
			rep.apiID = env.APIID
		}
		if p.canned.Header.Get("Content-Type") == "" && json.Valid(rep.body) {
			w.Header().Set("Content-Type", "application/json")
		}
		delay = p.canned.Delay
	case !p.queued && p.failure.Status != 0:
		id := NewAPIID()
		msg := ""
		if p.failure.Status >= 300 {
			msg = http.StatusText(p.failure.Status)
		}
		rep = reply{status: p.failure.Status, body: plivoBody(id, msg), apiID: id}
		w.Header().Set("Content-Type", "application/json")
		delay = p.failure.Delay
	default:
		rep = s.defaultReply(r, rec, rt, fields, jsonErr)
		w.Header().Set("Content-Type", "application/json")
		delay = p.failure.Delay
		if p.queued {
			delay = p.canned.Delay
		}
	}
	for k, vs := range p.canned.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	rec.Status, rec.APIID = rep.status, rep.apiID
	s.record(rec)

	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			// The client gave up; nobody to answer.
			panic(http.ErrAbortHandler)
		case <-s.closing:
			// Cut the connection without answering. Returning would let
			// net/http send an implicit 200, a success Plivo never gave.
			panic(http.ErrAbortHandler)
		}
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
}

// limitMessage is the "error" of a 429 from AccountLimit.
func limitMessage(l Limit) string {
	return fmt.Sprintf("Too many requests: the account allows %d API requests per %v.", l.Requests, l.Per)
}

// defaultReply answers like Plivo: auth, then route and ids, then method,
// then body validation.
func (s *Server) defaultReply(r *http.Request, rec Request, rt route, fields jsonObject, jsonErr error) reply {
	fail := func(status int, msg string) reply {
		id := NewAPIID()
		return reply{status: status, body: plivoBody(id, msg), apiID: id}
	}
	if !rec.AuthOK {
		return fail(http.StatusUnauthorized, "authentication failed")
	}
	ph := s.phlos[rt.phloID]
	node, nodeOK := Node{}, false
	if ph != nil {
		node, nodeOK = ph.nodes[rt.nodeID]
	}
	switch {
	case rt.kind == routeUnknown:
		return fail(http.StatusNotFound, "not found")
	case ph == nil:
		return fail(http.StatusNotFound, "phlo not found")
	case rt.kind != routePhlo && !nodeOK:
		return fail(http.StatusNotFound, "multi_party_call node not found")
	}

	if r.Method == http.MethodGet && rt.kind != routeMember {
		id := NewAPIID()
		now := time.Now().UTC().Format("2006-01-02 15:04:05.000000+00:00")
		var v any
		if rt.kind == routePhlo {
			v = map[string]string{"api_id": id, "phlo_id": rt.phloID, "name": ph.name, "created_on": now}
		} else {
			v = map[string]string{
				"api_id": id, "node_id": node.NodeID, "phlo_id": node.PhloID,
				"name": node.NodeName, "node_type": node.NodeType, "created_on": now,
			}
		}
		b, _ := json.Marshal(v)
		return reply{status: http.StatusOK, body: b, apiID: id}
	}
	if r.Method != http.MethodPost || rt.kind == routePhlo {
		return fail(http.StatusMethodNotAllowed, "method not allowed")
	}
	if node.NodeType != NodeTypeMPC {
		return fail(http.StatusNotFound, "multi_party_call node not found")
	}

	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return fail(http.StatusBadRequest, "Content-Type must be application/json.")
	}
	if jsonErr != nil {
		return fail(http.StatusBadRequest, "Invalid JSON in request body.")
	}
	var msg string
	if rt.kind == routeNode {
		msg = fields.check("action", nodeActions)
		for _, p := range []string{"to", "role", "trigger_source"} {
			if msg != "" {
				break
			}
			var allowed []string
			if p == "role" {
				allowed = roles
			}
			msg = fields.check(p, allowed)
		}
	} else {
		msg = fields.check("action", memberActions)
	}
	if msg != "" {
		return fail(http.StatusBadRequest, msg)
	}
	id := NewAPIID()
	return reply{status: http.StatusCreated, body: plivoBody(id, ""), apiID: id}
}

func (s *Server) authOK(r *http.Request) bool {
	id, token, ok := r.BasicAuth()
	// Constant-time like a real server; both compared so the timing does
	// not reveal which one was wrong.
	idOK := subtle.ConstantTimeCompare([]byte(id), []byte(s.cfg.AuthID))
	tokOK := subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.AuthToken))
	return ok && idOK&tokOK == 1
}

// wirePath is the request path exactly as the client sent it.
func wirePath(r *http.Request) string {
	p := r.RequestURI
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if p == "" || p[0] != '/' { // absolute-form request (via a proxy)
		if u, err := url.Parse(r.RequestURI); err == nil {
			p = u.EscapedPath()
		}
	}
	return p
}

type routeKind int

const (
	routeUnknown routeKind = iota
	routePhlo              // /v1/phlo/{phlo}
	routeNode              // /v1/phlo/{phlo}/multi_party_call/{node}
	routeMember            // /v1/phlo/{phlo}/multi_party_call/{node}/members/{member}
)

type route struct {
	kind                   routeKind
	phloID, nodeID, member string
}

// parseRoute splits the escaped path into segments before unescaping
// them, so an escaped "/" inside a member address stays in the address. A
// trailing slash is accepted, as Plivo's SDKs differ on it.
func parseRoute(escaped string) route {
	p := strings.TrimSuffix(escaped, "/")
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, sg := range segs {
		u, err := url.PathUnescape(sg)
		if err != nil || u == "" {
			return route{}
		}
		segs[i] = u
	}
	if len(segs) < 3 || segs[0] != "v1" || segs[1] != "phlo" {
		return route{}
	}
	switch {
	case len(segs) == 3:
		return route{kind: routePhlo, phloID: segs[2]}
	case len(segs) == 5 && segs[3] == "multi_party_call":
		return route{kind: routeNode, phloID: segs[2], nodeID: segs[4]}
	case len(segs) == 7 && segs[3] == "multi_party_call" && segs[5] == "members":
		return route{kind: routeMember, phloID: segs[2], nodeID: segs[4], member: segs[6]}
	}
	return route{}
}

// jsonObject is a request body parsed leniently, keeping each value raw so
// that "missing", "wrong type" and "invalid value" can be told apart.
type jsonObject map[string]json.RawMessage

func parseBody(raw []byte) (jsonObject, error) {
	var m jsonObject
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	if m == nil { // "null"
		return nil, errors.New("body is null")
	}
	return m, nil
}

// str returns the field's string value, "" if missing or not a string.
func (o jsonObject) str(key string) string {
	var s string
	if v, ok := o[key]; ok && json.Unmarshal(v, &s) == nil {
		return s
	}
	return ""
}

// check validates one required string parameter with Plivo's wording.
// allowed == nil accepts any non-empty string.
func (o jsonObject) check(key string, allowed []string) string {
	v, ok := o[key]
	if !ok || string(v) == "null" {
		return key + " is a mandatory param."
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return "Invalid value provided for " + key + ". " + key + " expects a/an string."
	}
	if strings.TrimSpace(s) == "" {
		return key + " is a mandatory param."
	}
	if allowed != nil {
		for _, a := range allowed {
			if s == a {
				return ""
			}
		}
		return "Invalid value provided for " + key + ". " + key + " expects one of " + strings.Join(allowed, ", ") + "."
	}
	return ""
}
