// Package phlotest provides a fake Plivo PHLO runner for tests, benchmarks
// and demo mode, in the style of net/http/httptest.
//
// By default the server behaves like Plivo's Multi-Party Call endpoints
// (basic auth, PHLO and node ids, parameter validation, 201 with a fresh
// api_id) for one or several PHLOs and nodes. It can also enforce an
// account limit (429 beyond N requests in any window), fail every request
// until told otherwise (SetFailure), or answer the next requests with
// canned responses (Enqueue), e.g. to simulate 429, 500, malformed bodies
// or slow answers. Every request is recorded.
package phlotest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Defaults used for zero Config fields. They look like real Plivo values
// so that code validating their shape accepts them.
const (
	DefaultAuthID    = "MAPHLOTESTAUTHID0001"
	DefaultAuthToken = "phlotest-auth-token-do-not-use-in-prod-00"
	DefaultPhloID    = "0f4cfa5a-4d8b-4f3b-9c62-6b7d1c3a9e01"
	DefaultNodeID    = "8e1d3b2c-7a6f-4c5e-9d0b-2f3a4b5c6d02"
	DefaultPhloName  = "phlotest"
	DefaultNodeName  = "Multi-Party Call_1"
	NodeTypeMPC      = "multi_party_call"
)

// Config configures a Server. Zero fields get the Default* values.
type Config struct {
	// AuthID and AuthToken are the only credentials accepted.
	AuthID, AuthToken string
	// PhloID and NodeID are the default PHLO and MPC node.
	PhloID, NodeID string
	// Nodes are further nodes that exist besides the default one, on the
	// same or other PHLOs (several bridges of one account).
	Nodes []Node
	// AccountLimit, when set, answers 429 (a Plivo-like JSON body, no
	// Retry-After) to every request that arrives after Requests requests
	// were admitted in the trailing Per, like Plivo's per-account limit.
	// Only admitted requests count; what they are answered does not
	// matter. Queued responses (Enqueue) wait for admitted requests.
	AccountLimit Limit
	// OnRequest, if set, is called with every recorded request, outside
	// any lock and before the response is delayed and written. Demo mode
	// uses it to print what "Plivo" was asked to do. It must not block
	// for long. Request.Header includes the Authorization header: do not
	// log it verbatim.
	OnRequest func(Request)
}

// Server is a fake PHLO runner listening on 127.0.0.1. It is safe for
// concurrent use.
type Server struct {
	cfg     Config
	phlos   map[string]*phlo // by PhloID; read-only after NewServer
	ts      *httptest.Server
	closing chan struct{} // closed by Close; ends delays and Waits
	once    sync.Once

	mu       sync.Mutex
	reqs     []Request
	queue    []Response
	failure  Failure
	admitted []time.Time   // arrival times within AccountLimit.Per, ascending
	changed  chan struct{} // closed and replaced on every new request
}

// phlo is a PHLO the fake knows and its MPC nodes.
type phlo struct {
	name  string
	nodes map[string]Node
}

// NewServer starts a fake PHLO runner on 127.0.0.1. The caller must call
// Close. It panics if it cannot listen, like httptest.NewServer.
func NewServer(cfg Config) *Server {
	if cfg.AuthID == "" {
		cfg.AuthID = DefaultAuthID
	}
	if cfg.AuthToken == "" {
		cfg.AuthToken = DefaultAuthToken
	}
	if cfg.PhloID == "" {
		cfg.PhloID = DefaultPhloID
	}
	if cfg.NodeID == "" {
		cfg.NodeID = DefaultNodeID
	}
	if l := cfg.AccountLimit; l != (Limit{}) && (l.Requests < 1 || l.Per <= 0) {
		panic(fmt.Sprintf("phlotest: AccountLimit needs Requests >= 1 and Per > 0, got %+v", l))
	}
	nodes := append([]Node{{PhloID: cfg.PhloID, NodeID: cfg.NodeID}}, cfg.Nodes...)
	cfg.Nodes = nil
	phlos := map[string]*phlo{}
	for i, n := range nodes {
		n = n.withDefaults()
		if i > 0 {
			cfg.Nodes = append(cfg.Nodes, n)
		}
		p := phlos[n.PhloID]
		if p == nil {
			p = &phlo{name: n.PhloName, nodes: map[string]Node{}}
			phlos[n.PhloID] = p
		}
		if _, dup := p.nodes[n.NodeID]; !dup {
			p.nodes[n.NodeID] = n
		}
	}
	s := &Server{
		cfg:     cfg,
		phlos:   phlos,
		closing: make(chan struct{}),
		changed: make(chan struct{}),
	}
	// Listen explicitly on IPv4 loopback: httptest may fall back to ::1,
	// and demo mode documents 127.0.0.1.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("phlotest: failed to listen on 127.0.0.1: %v", err))
	}
	s.ts = &httptest.Server{Listener: l, Config: &http.Server{Handler: s}}
	s.ts.Start()
	return s
}

// URL returns the base URL ("http://127.0.0.1:port") to use as
// phlo.Config.BaseURL.
func (s *Server) URL() string { return s.ts.URL }

// Config returns the effective configuration (with defaults filled in),
// handy for building a matching client config.
func (s *Server) Config() Config {
	c := s.cfg
	c.Nodes = append([]Node(nil), s.cfg.Nodes...)
	return c
}

// SetFailure makes every following request fail the same way until it is
// cleared with SetFailure(Failure{}); the sandbox switches it at run time.
// Queued responses (Enqueue) still come first. A Status outside 0 and
// 200–599 is a bug in the caller and panics.
func (s *Server) SetFailure(f Failure) {
	if f.Status != 0 && (f.Status < 200 || f.Status > 599) {
		panic(fmt.Sprintf("phlotest: SetFailure: status %d is not 0 or 200-599", f.Status))
	}
	f.Delay = max(f.Delay, 0)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failure = f
}

// Failure returns the failure set with SetFailure.
func (s *Server) Failure() Failure {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failure
}

// Close shuts the server down and waits for handlers to return. It does
// not hang on delayed responses or clients that stop reading: delays end
// at once and client connections are closed. Safe to call more than once.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closing)
		// Stop accepting first so no new connection sneaks in between
		// closing the existing ones and httptest's Close.
		_ = s.ts.Listener.Close()
		s.ts.CloseClientConnections()
		s.ts.Close()
	})
}

// Enqueue sets the responses for the next requests, in order; once they
// are used up the default behaviour resumes. Calls append to the queue.
func (s *Server) Enqueue(r ...Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, r...)
}

// Requests returns a copy of every request received so far, in arrival
// order, including rejected ones.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.reqs))
	for i, r := range s.reqs {
		out[i] = r.clone()
	}
	return out
}

// Wait blocks until at least n requests have been received (a request
// counts when it arrives, before any Delay), ctx is done, or the server is
// closed.
func (s *Server) Wait(ctx context.Context, n int) error {
	for {
		s.mu.Lock()
		got, ch := len(s.reqs), s.changed
		s.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("phlotest: received %d of %d requests: %w", got, n, ctx.Err())
		case <-s.closing:
			s.mu.Lock()
			got = len(s.reqs)
			s.mu.Unlock()
			if got >= n {
				return nil
			}
			return fmt.Errorf("phlotest: server closed after %d of %d requests", got, n)
		}
	}
}

// record stores r and wakes Waiters.
func (s *Server) record(r Request) {
	s.mu.Lock()
	s.reqs = append(s.reqs, r)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	if s.cfg.OnRequest != nil {
		s.cfg.OnRequest(r.clone())
	}
}

// plan is how the server will answer one request, decided on arrival.
type plan struct {
	limited bool     // over AccountLimit: 429
	canned  Response // a queued response, if queued
	queued  bool
	failure Failure // the persistent failure in force
}

// next applies the account limit, then pops the next queued response, if
// any. The limit reads the clock under the lock, so admissions are counted
// in order even when handlers race.
func (s *Server) next() plan {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.cfg.AccountLimit; l.Requests > 0 {
		now := time.Now()
		i := 0
		for i < len(s.admitted) && !s.admitted[i].After(now.Add(-l.Per)) {
			i++
		}
		s.admitted = s.admitted[i:]
		if len(s.admitted) >= l.Requests {
			return plan{limited: true}
		}
		s.admitted = append(s.admitted, now)
	}
	p := plan{failure: s.failure}
	if len(s.queue) > 0 {
		p.canned, p.queued = s.queue[0], true
		s.queue = s.queue[1:]
	}
	return p
}
