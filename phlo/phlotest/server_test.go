package phlotest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

type answer struct {
	status int
	apiID  string
	errMsg string
	header http.Header
	raw    string
}

// post sends a request the way any client would, without the phlo package.
func post(t *testing.T, srv *phlotest.Server, method, path, body string, auth bool, ctype string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth {
		cfg := srv.Config()
		req.SetBasicAuth(cfg.AuthID, cfg.AuthToken)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env struct {
		APIID string `json:"api_id"`
		Error string `json:"error"`
	}
	_ = json.Unmarshal(raw, &env)
	return answer{status: resp.StatusCode, apiID: env.APIID, errMsg: env.Error, header: resp.Header, raw: string(raw)}
}

const jsonType = "application/json"

func nodePath(srv *phlotest.Server) string {
	c := srv.Config()
	return "/v1/phlo/" + c.PhloID + "/multi_party_call/" + c.NodeID
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestDefaults(t *testing.T) {
	t.Parallel()
	srv := phlotest.NewServer(phlotest.Config{})
	defer srv.Close()
	c := srv.Config()
	if c.AuthID != phlotest.DefaultAuthID || c.AuthToken != phlotest.DefaultAuthToken ||
		c.PhloID != phlotest.DefaultPhloID || c.NodeID != phlotest.DefaultNodeID {
		t.Errorf("Config() = %+v", c)
	}
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") {
		t.Errorf("URL() = %q", srv.URL())
	}
	custom := phlotest.NewServer(phlotest.Config{AuthID: "a", AuthToken: "b", PhloID: "c", NodeID: "d"})
	defer custom.Close()
	if got := custom.Config(); got.AuthID != "a" || got.NodeID != "d" {
		t.Errorf("custom Config() = %+v", got)
	}
}

func TestDefaultBehaviour(t *testing.T) {
	t.Parallel()
	srv := phlotest.NewServer(phlotest.Config{})
	defer srv.Close()
	node := nodePath(srv)
	good := `{"action":"call","to":"+14155550100","role":"agent","trigger_source":"+14155550199"}`
	cases := []struct {
		name         string
		method, path string
		body         string
		auth         bool
		ctype        string
		status       int
		errMsg       string
	}{
		{"call", "POST", node, good, true, jsonType, 201, ""},
		{"trailing slash", "POST", node + "/", good, true, jsonType, 201, ""},
		{"charset", "POST", node, good, true, "application/json; charset=utf-8", 201, ""},
		{"warm transfer", "POST", node, strings.Replace(good, `"call"`, `"warm_transfer"`, 1), true, jsonType, 201, ""},
		{"customer", "POST", node, strings.Replace(good, `"agent"`, `"customer"`, 1), true, jsonType, 201, ""},
		{"no auth", "POST", node, good, false, jsonType, 401, "authentication failed"},
		{"unknown phlo", "POST", "/v1/phlo/nope/multi_party_call/x", good, true, jsonType, 404, "phlo not found"},
		{"unknown node", "POST", "/v1/phlo/" + phlotest.DefaultPhloID + "/multi_party_call/x", good, true, jsonType, 404, "multi_party_call node not found"},
		{"unknown path", "POST", "/v2/whatever", good, true, jsonType, 404, "not found"},
		{"wrong node type", "POST", "/v1/phlo/" + phlotest.DefaultPhloID + "/conference_bridge/" + phlotest.DefaultNodeID, good, true, jsonType, 404, "not found"},
		{"bad method", "PUT", node, good, true, jsonType, 405, "method not allowed"},
		{"POST phlo", "POST", "/v1/phlo/" + phlotest.DefaultPhloID, good, true, jsonType, 405, "method not allowed"},
		{"content type", "POST", node, good, true, "text/plain", 400, "Content-Type must be application/json."},
		{"not json", "POST", node, "action=call", true, jsonType, 400, "Invalid JSON in request body."},
		{"json null", "POST", node, "null", true, jsonType, 400, "Invalid JSON in request body."},
		{"no action", "POST", node, `{"to":"+1","role":"agent","trigger_source":"+2"}`, true, jsonType, 400, "action is a mandatory param."},
		{"bad action", "POST", node, `{"action":"hold","to":"+1","role":"agent","trigger_source":"+2"}`, true, jsonType, 400,
			"Invalid value provided for action. action expects one of call, warm_transfer, cold_transfer."},
		{"no to", "POST", node, `{"action":"call","role":"agent","trigger_source":"+2"}`, true, jsonType, 400, "to is a mandatory param."},
		{"empty to", "POST", node, `{"action":"call","to":" ","role":"agent","trigger_source":"+2"}`, true, jsonType, 400, "to is a mandatory param."},
		{"numeric to", "POST", node, `{"action":"call","to":14155550100,"role":"agent","trigger_source":"+2"}`, true, jsonType, 400,
			"Invalid value provided for to. to expects a/an string."},
		{"no role", "POST", node, `{"action":"call","to":"+1","trigger_source":"+2"}`, true, jsonType, 400, "role is a mandatory param."},
		{"bad role", "POST", node, `{"action":"call","to":"+1","role":"Agent","trigger_source":"+2"}`, true, jsonType, 400,
			"Invalid value provided for role. role expects one of agent, customer."},
		{"no trigger", "POST", node, `{"action":"call","to":"+1","role":"agent"}`, true, jsonType, 400, "trigger_source is a mandatory param."},
		{"member hold", "POST", node + "/members/+14155550100", `{"action":"hold"}`, true, jsonType, 201, ""},
		{"member sip", "POST", node + "/members/sip:alice@phone.plivo.com", `{"action":"voicemail_drop"}`, true, jsonType, 201, ""},
		{"member bad action", "POST", node + "/members/+1", `{"action":"call"}`, true, jsonType, 400,
			"Invalid value provided for action. action expects one of hold, unhold, hangup, resume_call, abort_transfer, voicemail_drop."},
		{"member no auth", "POST", node + "/members/+1", `{"action":"hold"}`, false, jsonType, 401, "authentication failed"},
		{"member GET", "GET", node + "/members/+1", "", true, "", 405, "method not allowed"},
		{"member empty segment", "POST", node + "/members//x", `{"action":"hold"}`, true, jsonType, 404, "not found"},
	}
	for _, tc := range cases {
		a := post(t, srv, tc.method, tc.path, tc.body, tc.auth, tc.ctype)
		if a.status != tc.status || a.errMsg != tc.errMsg || !uuidV4.MatchString(a.apiID) {
			t.Errorf("%s: got %d %q (api_id %q), want %d %q", tc.name, a.status, a.errMsg, a.apiID, tc.status, tc.errMsg)
		}
		if ct := a.header.Get("Content-Type"); ct != jsonType {
			t.Errorf("%s: Content-Type %q", tc.name, ct)
		}
		if tc.status == 201 && a.raw != `{"api_id":"`+a.apiID+`","error":""}` {
			t.Errorf("%s: body %s", tc.name, a.raw)
		}
	}
	reqs := srv.Requests()
	if len(reqs) != len(cases) {
		t.Fatalf("recorded %d requests, want %d", len(reqs), len(cases))
	}
	for i, r := range reqs {
		if r.Status != cases[i].status || r.Path != cases[i].path || r.Method != cases[i].method || r.AuthOK != cases[i].auth {
			t.Errorf("record %d (%s) = %+v", i, cases[i].name, r)
		}
	}
	if r := reqs[0]; r.Action != "call" || r.To != "+14155550100" || r.Role != "agent" || r.TriggerSource != "+14155550199" ||
		r.PhloID != phlotest.DefaultPhloID || r.NodeID != phlotest.DefaultNodeID || string(r.RawBody) != good || r.At.IsZero() {
		t.Errorf("record 0 = %+v", r)
	}
}

func TestGetEndpoints(t *testing.T) {
	t.Parallel()
	srv := phlotest.NewServer(phlotest.Config{})
	defer srv.Close()
	a := post(t, srv, "GET", nodePath(srv), "", true, "")
	var node map[string]string
	if err := json.Unmarshal([]byte(a.raw), &node); err != nil || a.status != 200 ||
		node["node_type"] != "multi_party_call" || node["node_id"] != phlotest.DefaultNodeID {
		t.Errorf("GET node: %d %s", a.status, a.raw)
	}
	a = post(t, srv, "GET", "/v1/phlo/"+phlotest.DefaultPhloID, "", true, "")
	if a.status != 200 || !strings.Contains(a.raw, `"phlo_id":"`+phlotest.DefaultPhloID+`"`) {
		t.Errorf("GET phlo: %d %s", a.status, a.raw)
	}
}

func TestEscapedMemberAddress(t *testing.T) {
	t.Parallel()
	srv := phlotest.NewServer(phlotest.Config{})
	defer srv.Close()
	path := nodePath(srv) + "/members/a%20b%2Fc%3F"
	if a := post(t, srv, "POST", path, `{"action":"hangup"}`, true, jsonType); a.status != 201 {
		t.Fatalf("status %d %s", a.status, a.raw)
	}
	r := srv.Requests()[0]
	if r.Path != path || r.MemberAddress != "a b/c?" || r.Action != "hangup" {
		t.Errorf("record = %+v", r)
	}
}

func TestEnqueue(t *testing.T) {
	t.Parallel()
	srv := phlotest.NewServer(phlotest.Config{})
	defer srv.Close()
	good := `{"action":"call","to":"+1","role":"agent","trigger_source":"+2"}`
	srv.Enqueue(
		phlotest.Response{Status: 429, Body: `{"api_id":"q1","error":"slow down"}`, Header: http.Header{"Retry-After": {"3"}}},
		phlotest.Response{Status: 500, Body: "oops"},
	)
	srv.Enqueue(phlotest.JSONResponse(200, ""), phlotest.Response{Header: http.Header{"X-Extra": {"yes"}}})

	a := post(t, srv, "POST", nodePath(srv), good, false, jsonType) // queued answers ignore auth
	if a.status != 429 || a.errMsg != "slow down" || a.header.Get("Retry-After") != "3" || a.header.Get("Content-Type") != jsonType {
		t.Errorf("1st = %+v", a)
	}
	if a = post(t, srv, "POST", "/anything", "", false, ""); a.status != 500 || a.raw != "oops" ||
		strings.HasPrefix(a.header.Get("Content-Type"), jsonType) {
		t.Errorf("2nd = %+v", a)
	}
	if a = post(t, srv, "POST", nodePath(srv), good, true, jsonType); a.status != 200 || a.errMsg != "" || !uuidV4.MatchString(a.apiID) {
		t.Errorf("3rd = %+v", a)
	}
	// Status 0: default behaviour plus the header.
	if a = post(t, srv, "POST", nodePath(srv), good, false, jsonType); a.status != 401 || a.header.Get("X-Extra") != "yes" {
		t.Errorf("4th = %+v", a)
	}
	if a = post(t, srv, "POST", nodePath(srv), good, true, jsonType); a.status != 201 || a.header.Get("X-Extra") != "" {
		t.Errorf("5th (default) = %+v", a)
	}
	reqs := srv.Requests()
	wantStatus := []int{429, 500, 200, 401, 201}
	wantID := []string{"q1", "", reqs[2].APIID, reqs[3].APIID, reqs[4].APIID}
	for i, r := range reqs {
		if r.Status != wantStatus[i] || r.APIID != wantID[i] {
			t.Errorf("record %d: status %d api_id %q", i, r.Status, r.APIID)
		}
	}
	if reqs[0].Action != "call" || reqs[0].AuthOK {
		t.Errorf("queued request not parsed: %+v", reqs[0])
	}
}

func TestDelay(t *testing.T) {
	t.Parallel()
	srv := phlotest.NewServer(phlotest.Config{})
	defer srv.Close()
	srv.Enqueue(phlotest.Response{Delay: 50 * time.Millisecond}) // default answer, late
	start := time.Now()
	a := post(t, srv, "POST", nodePath(srv), `{"action":"call","to":"+1","role":"agent","trigger_source":"+2"}`, true, jsonType)
	if a.status != 201 || time.Since(start) < 50*time.Millisecond {
		t.Errorf("status %d after %v", a.status, time.Since(start))
	}
}

func TestDelayEndsWhenClientGivesUp(t *testing.T) {
	t.Parallel()
	srv := phlotest.NewServer(phlotest.Config{})
	defer srv.Close()
	srv.Enqueue(phlotest.Response{Status: 201, Delay: time.Hour})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL()+nodePath(srv), nil)
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	// Close returns promptly because the handler saw the client leave
	// (and would also stop on Close itself).
	done := make(chan struct{})
	go func() { srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("Close hung")
	}
}

func TestCloseWithHangingRequests(t *testing.T) {
	t.Parallel()
	srv := phlotest.NewServer(phlotest.Config{})
	srv.Enqueue(phlotest.Response{Status: 201, Delay: time.Hour}, phlotest.Response{Status: 201, Delay: time.Hour})
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			// No client timeout at all: only Close can end these.
			resp, err := http.Post(srv.URL()+nodePath(srv), jsonType, strings.NewReader("{}"))
			if err == nil {
				resp.Body.Close()
			}
			errs <- err
		}()
	}
	if err := srv.Wait(t.Context(), 2); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.Close(); srv.Close(); close(done) }() // idempotent
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("Close hung on delayed handlers")
	}
	for range 2 {
		select {
		case err := <-errs:
			// Cut, not answered: an implicit 200 would be a success
			// Plivo never gave.
			if err == nil {
				t.Error("Close answered a held-back request")
			}
		case <-time.After(3 * time.Second):
			t.Fatal("client still hanging after Close")
		}
	}
}

func TestWait(t *testing.T) {
	t.Parallel()
	srv := phlotest.NewServer(phlotest.Config{})
	defer srv.Close()
	if err := srv.Wait(t.Context(), 0); err != nil {
		t.Errorf("Wait(0) = %v", err)
	}
	got := make(chan error, 1)
	go func() { got <- srv.Wait(t.Context(), 3) }()
	for range 3 {
		post(t, srv, "GET", "/", "", false, "")
	}
	select {
	case err := <-got:
		if err != nil {
			t.Errorf("Wait(3) = %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Wait(3) did not return")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if err := srv.Wait(ctx, 4); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "3 of 4") {
		t.Errorf("Wait(4) = %v", err)
	}
	closed := phlotest.NewServer(phlotest.Config{})
	go func() { time.Sleep(10 * time.Millisecond); closed.Close() }()
	if err := closed.Wait(t.Context(), 1); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Wait on closed server = %v", err)
	}
}

func TestRequestsAreCopies(t *testing.T) {
	t.Parallel()
	srv := phlotest.NewServer(phlotest.Config{})
	defer srv.Close()
	post(t, srv, "POST", nodePath(srv), `{"action":"call"}`, true, jsonType)
	r := srv.Requests()
	r[0].RawBody[0] = 'X'
	r[0].Header.Set("Content-Type", "changed")
	r[0].Status = 999
	again := srv.Requests()[0]
	if again.RawBody[0] != '{' || again.Header.Get("Content-Type") != jsonType || again.Status != 400 {
		t.Errorf("Requests() exposed internal state: %+v", again)
	}
}

// postHold sends one authorised hold to member +1; safe to call from many
// goroutines (a failure is an Error, not a Fatal).
func postHold(t *testing.T, srv *phlotest.Server) {
	req, err := http.NewRequest("POST", srv.URL()+nodePath(srv)+"/members/+1", strings.NewReader(`{"action":"hold"}`))
	if err != nil {
		t.Error(err)
		return
	}
	req.Header.Set("Content-Type", jsonType)
	cfg := srv.Config()
	req.SetBasicAuth(cfg.AuthID, cfg.AuthToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return
	}
	resp.Body.Close()
}

func TestConcurrentRequestsAndOnRequest(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	srv := phlotest.NewServer(phlotest.Config{OnRequest: func(r phlotest.Request) {
		mu.Lock()
		seen = append(seen, r.MemberAddress)
		mu.Unlock()
	}})
	defer srv.Close()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			postHold(t, srv)
		})
		wg.Go(func() { _ = srv.Requests() })
	}
	wg.Wait()
	if n := len(srv.Requests()); n != 20 {
		t.Errorf("recorded %d", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 20 || seen[0] != "+1" {
		t.Errorf("OnRequest saw %q", seen)
	}
}

func TestNewAPIIDAndJSONResponse(t *testing.T) {
	t.Parallel()
	a, b := phlotest.NewAPIID(), phlotest.NewAPIID()
	if !uuidV4.MatchString(a) || a == b {
		t.Errorf("NewAPIID = %q, %q", a, b)
	}
	r := phlotest.JSONResponse(403, "PHLO not enabled")
	var env struct {
		APIID string `json:"api_id"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.Body), &env); err != nil || r.Status != 403 || env.Error != "PHLO not enabled" ||
		!uuidV4.MatchString(env.APIID) || r.Header.Get("Content-Type") != jsonType {
		t.Errorf("JSONResponse = %+v", r)
	}
}

func TestSeveralNodes(t *testing.T) {
	t.Parallel()
	srv := phlotest.NewServer(phlotest.Config{Nodes: []phlotest.Node{
		{PhloID: "phlo-b", NodeID: "node-b", PhloName: "Sales", NodeName: "MPC sales"},
		{PhloID: "phlo-b", NodeID: "node-b2", PhloName: "ignored: the PHLO is named already"},
		{PhloID: phlotest.DefaultPhloID, NodeID: "node-a2"},
		{PhloID: "phlo-b", NodeID: "conf", NodeType: "conference_bridge"},
	}})
	defer srv.Close()
	cfg := srv.Config()
	if len(cfg.Nodes) != 4 || cfg.Nodes[2].NodeType != phlotest.NodeTypeMPC || cfg.Nodes[2].NodeName != phlotest.DefaultNodeName {
		t.Errorf("Config().Nodes = %+v", cfg.Nodes)
	}
	cfg.Nodes[0].NodeID = "changed"
	if srv.Config().Nodes[0].NodeID != "node-b" {
		t.Error("Config() exposes its Nodes")
	}

	get := func(path string) map[string]string {
		t.Helper()
		a := post(t, srv, "GET", path, "", true, "")
		var m map[string]string
		if err := json.Unmarshal([]byte(a.raw), &m); err != nil || a.status != 200 {
			t.Fatalf("GET %s: %d %s", path, a.status, a.raw)
		}
		return m
	}
	if m := get("/v1/phlo/phlo-b"); m["name"] != "Sales" || m["phlo_id"] != "phlo-b" {
		t.Errorf("GET phlo-b = %v", m)
	}
	if m := get("/v1/phlo/" + phlotest.DefaultPhloID); m["name"] != phlotest.DefaultPhloName {
		t.Errorf("GET default phlo = %v", m)
	}
	for path, want := range map[string][3]string{
		"/v1/phlo/phlo-b/multi_party_call/node-b":                          {"node-b", "MPC sales", "multi_party_call"},
		"/v1/phlo/phlo-b/multi_party_call/node-b2":                         {"node-b2", phlotest.DefaultNodeName, "multi_party_call"},
		"/v1/phlo/" + phlotest.DefaultPhloID + "/multi_party_call/node-a2": {"node-a2", phlotest.DefaultNodeName, "multi_party_call"},
		"/v1/phlo/phlo-b/multi_party_call/conf":                            {"conf", phlotest.DefaultNodeName, "conference_bridge"},
	} {
		if m := get(path); m["node_id"] != want[0] || m["name"] != want[1] || m["node_type"] != want[2] {
			t.Errorf("GET %s = %v", path, m)
		}
	}

	good := `{"action":"call","to":"+1","role":"agent","trigger_source":"+2"}`
	cases := []struct {
		path   string
		status int
		phlo   string
		node   string
	}{
		{"/v1/phlo/phlo-b/multi_party_call/node-b", 201, "phlo-b", "node-b"},
		{"/v1/phlo/phlo-b/multi_party_call/node-b2/members/+1", 201, "phlo-b", "node-b2"},
		{"/v1/phlo/" + phlotest.DefaultPhloID + "/multi_party_call/node-a2", 201, phlotest.DefaultPhloID, "node-a2"},
		{nodePath(srv), 201, phlotest.DefaultPhloID, phlotest.DefaultNodeID},
		{"/v1/phlo/phlo-b/multi_party_call/" + phlotest.DefaultNodeID, 404, "phlo-b", phlotest.DefaultNodeID}, // other PHLO's node
		{"/v1/phlo/phlo-b/multi_party_call/conf", 404, "phlo-b", "conf"},                                      // not an MPC
		{"/v1/phlo/phlo-c/multi_party_call/node-b", 404, "phlo-c", "node-b"},
	}
	before := len(srv.Requests())
	for _, tc := range cases {
		body := good
		if strings.Contains(tc.path, "/members/") {
			body = `{"action":"hold"}`
		}
		if a := post(t, srv, "POST", tc.path, body, true, jsonType); a.status != tc.status {
			t.Errorf("POST %s: %d %s", tc.path, a.status, a.raw)
		}
	}
	for i, r := range srv.Requests()[before:] {
		if r.PhloID != cases[i].phlo || r.NodeID != cases[i].node || r.Status != cases[i].status {
			t.Errorf("record %d: phlo %q node %q status %d", i, r.PhloID, r.NodeID, r.Status)
		}
	}
}

func TestAccountLimit(t *testing.T) {
	t.Parallel()
	srv := phlotest.NewServer(phlotest.Config{AccountLimit: phlotest.Limit{Requests: 3, Per: time.Hour}})
	defer srv.Close()
	good := `{"action":"call","to":"+1","role":"agent","trigger_source":"+2"}`
	srv.Enqueue(phlotest.JSONResponse(500, "queued"))
	// Every admitted request counts, whatever it is answered: a queued
	// 500, a 404, a 201.
	for i, want := range []int{500, 404, 201, 429, 429} {
		path := nodePath(srv)
		if i == 1 {
			path = "/v1/phlo/nope"
		}
		a := post(t, srv, "POST", path, good, true, jsonType)
		if a.status != want {
			t.Fatalf("request %d: %d %s, want %d", i, a.status, a.raw, want)
		}
		if want == 429 {
			if a.header.Get("Retry-After") != "" || a.header.Get("Content-Type") != jsonType ||
				!uuidV4.MatchString(a.apiID) || !strings.Contains(a.errMsg, "3 API requests per 1h0m0s") {
				t.Errorf("429 answer: %+v", a)
			}
		}
	}
	reqs := srv.Requests()
	if len(reqs) != 5 || reqs[3].Status != 429 || reqs[4].Status != 429 || reqs[4].Action != "call" {
		t.Errorf("records: %+v", reqs)
	}

	// The window trails: once Per has passed since an admission, it no
	// longer counts. (The assertion does not depend on timing: the server
	// admitted each request before its answer reached us.)
	const per = 50 * time.Millisecond
	short := phlotest.NewServer(phlotest.Config{AccountLimit: phlotest.Limit{Requests: 2, Per: per}})
	defer short.Close()
	post(t, short, "POST", nodePath(short), good, true, jsonType)
	post(t, short, "POST", nodePath(short), good, true, jsonType)
	answered := time.Now()
	time.Sleep(time.Until(answered.Add(per + time.Millisecond)))
	for i := range 2 {
		if a := post(t, short, "POST", nodePath(short), good, true, jsonType); a.status != 201 {
			t.Errorf("after the window, request %d: %d", i, a.status)
		}
	}
}

func TestAccountLimitConcurrent(t *testing.T) {
	t.Parallel()
	srv := phlotest.NewServer(phlotest.Config{AccountLimit: phlotest.Limit{Requests: 10, Per: time.Hour}})
	defer srv.Close()
	var wg sync.WaitGroup
	for range 25 {
		wg.Go(func() {
			postHold(t, srv)
		})
	}
	wg.Wait()
	counts := map[int]int{}
	for _, r := range srv.Requests() {
		counts[r.Status]++
	}
	if counts[201] != 10 || counts[429] != 15 {
		t.Errorf("statuses = %v", counts)
	}
}

func TestSetFailure(t *testing.T) {
	t.Parallel()
	srv := phlotest.NewServer(phlotest.Config{})
	defer srv.Close()
	good := `{"action":"call","to":"+1","role":"agent","trigger_source":"+2"}`
	if f := srv.Failure(); f != (phlotest.Failure{}) {
		t.Errorf("initial Failure() = %+v", f)
	}
	srv.SetFailure(phlotest.Failure{Status: 503})
	if f := srv.Failure(); f.Status != 503 {
		t.Errorf("Failure() = %+v", f)
	}
	for range 2 { // persistent, for any request
		a := post(t, srv, "POST", nodePath(srv), good, true, jsonType)
		if a.status != 503 || a.errMsg != "Service Unavailable" || !uuidV4.MatchString(a.apiID) || a.header.Get("Content-Type") != jsonType {
			t.Errorf("failing answer: %+v", a)
		}
	}
	if a := post(t, srv, "GET", "/v1/phlo/"+phlotest.DefaultPhloID, "", false, ""); a.status != 503 {
		t.Errorf("GET while failing: %d", a.status)
	}
	// A queued answer comes first, then the failure again.
	srv.Enqueue(phlotest.Response{})
	if a := post(t, srv, "POST", nodePath(srv), good, true, jsonType); a.status != 201 {
		t.Errorf("queued answer while failing: %d", a.status)
	}
	if a := post(t, srv, "POST", nodePath(srv), good, true, jsonType); a.status != 503 {
		t.Errorf("after the queued answer: %d", a.status)
	}
	srv.SetFailure(phlotest.Failure{Status: 200})
	if a := post(t, srv, "POST", nodePath(srv), "garbage", false, ""); a.status != 200 || a.errMsg != "" || !uuidV4.MatchString(a.apiID) {
		t.Errorf("2xx failure: %+v", a)
	}
	srv.SetFailure(phlotest.Failure{})
	if a := post(t, srv, "POST", nodePath(srv), good, true, jsonType); a.status != 201 {
		t.Errorf("after clearing: %d", a.status)
	}

	// Delay alone: normal answers, late. A client that gives up first
	// gets no answer at all.
	srv.SetFailure(phlotest.Failure{Delay: time.Hour})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL()+nodePath(srv), strings.NewReader(good))
	req.Header.Set("Content-Type", jsonType)
	req.SetBasicAuth(srv.Config().AuthID, srv.Config().AuthToken)
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("delayed: err = %v", err)
	}
	if r := srv.Requests(); r[len(r)-1].Status != 201 {
		t.Errorf("delayed request recorded as %d", r[len(r)-1].Status)
	}

	for _, bad := range []int{-1, 99, 100, 199, 600} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("SetFailure(%d) did not panic", bad)
				}
			}()
			srv.SetFailure(phlotest.Failure{Status: bad})
		}()
	}
}
