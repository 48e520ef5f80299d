// Package phlotest provides a fake Plivo PHLO runner for tests, benchmarks
// and demo mode, in the style of net/http/httptest.
//
// By default the server behaves like Plivo's Multi-Party Call endpoints
// (basic auth, PHLO and node ids, parameter validation, 201 with a fresh
// api_id). Enqueue overrides the next responses, e.g. to simulate 429, 500,
// malformed bodies or slow answers. Every request is recorded.
package phlotest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
)

// Defaults used for zero Config fields. They look like real Plivo values
// so that code validating their shape accepts them.
const (
	DefaultAuthID    = "MAPHLOTESTAUTHID0001"
	DefaultAuthToken = "phlotest-auth-token-do-not-use-in-prod-00"
	DefaultPhloID    = "0f4cfa5a-4d8b-4f3b-9c62-6b7d1c3a9e01"
	DefaultNodeID    = "8e1d3b2c-7a6f-4c5e-9d0b-2f3a4b5c6d02"
)

// Config configures a Server. Zero fields get the Default* values.
type Config struct {
	// AuthID and AuthToken are the only credentials accepted.
	AuthID, AuthToken string
	// PhloID and NodeID are the only PHLO and MPC node that exist.
	PhloID, NodeID string
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
	ts      *httptest.Server
	closing chan struct{} // closed by Close; ends delays and Waits
	once    sync.Once

	mu      sync.Mutex
	reqs    []Request
	queue   []Response
	changed chan struct{} // closed and replaced on every new request
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
	s := &Server{
		cfg:     cfg,
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
func (s *Server) Config() Config { return s.cfg }

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

// next pops the next queued response, if any.
func (s *Server) next() (Response, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return Response{}, false
	}
	r := s.queue[0]
	s.queue = s.queue[1:]
	return r, true
}
