package phlo_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/phlo"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

func TestSeveralNodesOneClient(t *testing.T) {
	t.Parallel()
	srv := phlotest.NewServer(phlotest.Config{Nodes: []phlotest.Node{
		{PhloID: "phlo-b", NodeID: "node-b"},
		{PhloID: phlotest.DefaultPhloID, NodeID: "node-a2"},
	}})
	t.Cleanup(srv.Close)
	c := newClient(t, srv, nil)
	nodes := []phlo.Node{testNode(), {PhloID: "phlo-b", NodeID: "node-b"}, {PhloID: phlotest.DefaultPhloID, NodeID: "node-a2"}}
	for _, n := range nodes {
		if _, err := c.AddMember(ctxT(t), n, testCall()); err != nil {
			t.Fatalf("AddMember on %+v: %v", n, err)
		}
		if _, err := c.UpdateMember(ctxT(t), n, testTo, phlo.MemberHold); err != nil {
			t.Fatalf("UpdateMember on %+v: %v", n, err)
		}
	}
	reqs := wantRequests(t, srv, 6)
	for i, r := range reqs {
		n := nodes[i/2]
		if r.PhloID != n.PhloID || r.NodeID != n.NodeID || r.Status != http.StatusCreated {
			t.Errorf("request %d: %s %s -> %d, want node %+v", i, r.PhloID, r.NodeID, r.Status, n)
		}
	}
	// A node of another PHLO is not one of this PHLO's.
	_, err := c.AddMember(ctxT(t), phlo.Node{PhloID: phlotest.DefaultPhloID, NodeID: "node-b"}, testCall())
	if ae := mustAPIError(t, err); !ae.NotFound() {
		t.Errorf("err = %v", err)
	}
}

func TestCheckNode(t *testing.T) {
	t.Parallel()
	srv := phlotest.NewServer(phlotest.Config{Nodes: []phlotest.Node{
		{PhloID: "phlo-b", NodeID: "node-b", PhloName: "Sales bridge", NodeName: "MPC sales"},
		{PhloID: "phlo-b", NodeID: "conf", NodeType: "conference_bridge"},
	}})
	t.Cleanup(srv.Close)
	c := newClient(t, srv, nil)

	info, err := c.CheckNode(ctxT(t), testNode())
	if err != nil || info != (phlo.NodeInfo{PhloName: phlotest.DefaultPhloName, NodeName: phlotest.DefaultNodeName}) {
		t.Fatalf("CheckNode(default) = %+v, %v", info, err)
	}
	info, err = c.CheckNode(ctxT(t), phlo.Node{PhloID: "phlo-b", NodeID: "node-b"})
	if err != nil || info != (phlo.NodeInfo{PhloName: "Sales bridge", NodeName: "MPC sales"}) {
		t.Fatalf("CheckNode(b) = %+v, %v", info, err)
	}
	reqs := wantRequests(t, srv, 4)
	sc := srv.Config()
	for i, want := range []string{
		"/v1/phlo/" + sc.PhloID, "/v1/phlo/" + sc.PhloID + "/multi_party_call/" + sc.NodeID,
		"/v1/phlo/phlo-b", "/v1/phlo/phlo-b/multi_party_call/node-b",
	} {
		r := reqs[i]
		if r.Method != http.MethodGet || r.Path != want || len(r.RawBody) != 0 || r.Header.Get("Content-Type") != "" || !r.AuthOK {
			t.Errorf("request %d = %s %s (body %q, Content-Type %q)", i, r.Method, r.Path, r.RawBody, r.Header.Get("Content-Type"))
		}
	}

	_, err = c.CheckNode(ctxT(t), phlo.Node{PhloID: "phlo-b", NodeID: "conf"})
	var ce *phlo.CheckError
	if !errors.As(err, &ce) || ce.Step != phlo.StepNode || ce.Reason != phlo.CheckWrongType ||
		ce.NodeType != "conference_bridge" || !errors.Is(err, phlo.ErrNotMultiPartyCall) {
		t.Errorf("wrong type: %v (%+v)", err, ce)
	}
}

func TestCheckNodeFailures(t *testing.T) {
	t.Parallel()
	type tc struct {
		name     string
		node     phlo.Node
		mod      func(*phlo.Config)
		setup    func(*phlotest.Server)
		step     phlo.CheckStep
		reason   phlo.CheckReason
		status   int // of the *APIError inside, 0 for none
		requests int
	}
	other := phlo.Node{PhloID: phlotest.DefaultPhloID, NodeID: "missing"}
	cases := []tc{
		{name: "invalid", node: phlo.Node{PhloID: ".."}, step: phlo.StepPhlo, reason: phlo.CheckInvalid},
		{name: "401", mod: func(c *phlo.Config) { c.AuthToken = "wrong-token-0123456789" },
			step: phlo.StepPhlo, reason: phlo.CheckUnauthorized, status: 401, requests: 1},
		{name: "403 on the node", setup: func(s *phlotest.Server) {
			s.Enqueue(phlotest.Response{}, phlotest.JSONResponse(403, "PHLO is not enabled"))
		}, step: phlo.StepNode, reason: phlo.CheckForbidden, status: 403, requests: 2},
		{name: "404 phlo", node: phlo.Node{PhloID: "nope", NodeID: "n"}, step: phlo.StepPhlo, reason: phlo.CheckNotFound, status: 404, requests: 1},
		{name: "404 node", node: other, step: phlo.StepNode, reason: phlo.CheckNotFound, status: 404, requests: 2},
		{name: "429 forever", mod: func(c *phlo.Config) { c.MaxAttempts = 2 }, setup: func(s *phlotest.Server) {
			s.Enqueue(rateLimited("0"), rateLimited("0"))
		}, step: phlo.StepPhlo, reason: phlo.CheckRateLimited, status: 429, requests: 2},
		{name: "400", setup: func(s *phlotest.Server) { s.Enqueue(phlotest.JSONResponse(400, "bad")) },
			step: phlo.StepPhlo, reason: phlo.CheckOther, status: 400, requests: 1},
		{name: "not JSON", setup: func(s *phlotest.Server) {
			s.Enqueue(phlotest.Response{}, phlotest.Response{Status: 200, Body: "<html>"})
		},
			step: phlo.StepNode, reason: phlo.CheckOther, requests: 2},
		{name: "no node_type", setup: func(s *phlotest.Server) {
			s.Enqueue(phlotest.Response{}, phlotest.Response{Status: 200, Body: `{"name":"x"}`})
		},
			step: phlo.StepNode, reason: phlo.CheckWrongType, requests: 2},
		{name: "network", setup: func(s *phlotest.Server) { s.Close() },
			mod: func(c *phlo.Config) { c.MaxAttempts = 2 }, step: phlo.StepPhlo, reason: phlo.CheckNetwork},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, srv := newPair(t, tc.mod)
			if tc.setup != nil {
				tc.setup(srv)
			}
			node := testNode()
			if tc.node != (phlo.Node{}) {
				node = tc.node
			}
			_, err := c.CheckNode(ctxT(t), node)
			var ce *phlo.CheckError
			if !errors.As(err, &ce) || ce.Step != tc.step || ce.Reason != tc.reason {
				t.Fatalf("err = %v (%+v), want step %s reason %s", err, ce, tc.step, tc.reason)
			}
			var ae *phlo.APIError
			if got := errors.As(err, &ae); got != (tc.status != 0) || got && ae.StatusCode != tc.status {
				t.Errorf("APIError inside = %+v, want status %d", ae, tc.status)
			}
			if tc.reason == phlo.CheckInvalid && !errors.Is(err, phlo.ErrInvalidRequest) {
				t.Errorf("err = %v, want ErrInvalidRequest", err)
			}
			if tc.reason == phlo.CheckNetwork {
				if re := mustRequestError(t, err); re.Sent || re.Attempts != 2 {
					t.Errorf("RequestError = %+v", re)
				}
				return
			}
			wantRequests(t, srv, tc.requests)
		})
	}
}

func TestCheckNodeCancelled(t *testing.T) {
	t.Parallel()
	c, srv := newPair(t, nil)
	stop := make(chan struct{})
	close(stop)
	_, err := c.CheckNode(phlo.WithStop(ctxT(t), stop), testNode())
	var ce *phlo.CheckError
	if !errors.As(err, &ce) || ce.Reason != phlo.CheckCancelled || !errors.Is(err, phlo.ErrStopped) {
		t.Errorf("err = %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err = c.CheckNode(ctx, testNode()); !errors.As(err, &ce) || ce.Reason != phlo.CheckCancelled {
		t.Errorf("err = %v", err)
	}
	wantRequests(t, srv, 0)
}

// TestGetsAreRetried: a GET changes nothing, so whatever went wrong after
// sending it (5xx, a timeout) it is asked again, unlike a POST.
func TestGetsAreRetried(t *testing.T) {
	t.Parallel()
	c, srv := newPair(t, func(c *phlo.Config) {
		c.MaxAttempts = 4
		c.Timeout = time.Second
	})
	srv.Enqueue(
		phlotest.JSONResponse(500, "oops"),
		phlotest.Response{Delay: time.Minute}, // times out after sending
		rateLimited("0"),
	)
	info, err := c.CheckNode(ctxT(t), testNode())
	if err != nil || info.NodeName == "" {
		t.Fatalf("CheckNode = %+v, %v", info, err)
	}
	if err := srv.Wait(ctxT(t), 5); err != nil {
		t.Fatal(err)
	}
	reqs := wantRequests(t, srv, 5)
	for i, want := range []int{500, 201, 429, 200, 200} {
		if i == 1 {
			continue // the timed-out one was recorded with its default answer
		}
		if reqs[i].Status != want {
			t.Errorf("request %d: status %d, want %d", i, reqs[i].Status, want)
		}
	}
	// The same 500 on a POST is final.
	srv.Enqueue(phlotest.JSONResponse(500, "oops"))
	if _, err := c.AddMember(ctxT(t), testNode(), testCall()); !phlo.OutcomeUnknown(err) {
		t.Errorf("POST err = %v", err)
	}
	wantRequests(t, srv, 6)
}
