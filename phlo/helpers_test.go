package phlo_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/phlo"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

// Test addresses. They must never show up in error strings.
const (
	testTo      = "+14155550100"
	testTrigger = "+14155550199"
	testSIP     = "sip:alice@phone.plivo.com"
)

// testNode is phlotest's default node.
func testNode() phlo.Node {
	return phlo.Node{PhloID: phlotest.DefaultPhloID, NodeID: phlotest.DefaultNodeID}
}

func testCall() phlo.Call {
	return phlo.Call{To: testTo, Role: phlo.RoleAgent, TriggerSource: testTrigger}
}

// newPair starts a fake PHLO runner and a client for it. Retry waits are
// capped at 1ms and the client's pacer has a 100 ms window (so its pause
// after a 429 is short) so retry tests stay fast; mod may adjust the
// config.
func newPair(t *testing.T, mod func(*phlo.Config)) (*phlo.Client, *phlotest.Server) {
	t.Helper()
	srv := phlotest.NewServer(phlotest.Config{})
	t.Cleanup(srv.Close)
	c := newClient(t, srv, mod)
	return c, srv
}

func newClient(t *testing.T, srv *phlotest.Server, mod func(*phlo.Config)) *phlo.Client {
	t.Helper()
	sc := srv.Config()
	cfg := phlo.Config{
		BaseURL:      srv.URL(),
		AuthID:       sc.AuthID,
		AuthToken:    sc.AuthToken,
		Timeout:      5 * time.Second,
		MaxRetryWait: time.Millisecond,
		Pacer:        newPacer(t, phlo.Budget{Requests: 300, Per: 100 * time.Millisecond}),
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := phlo.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func newPacer(t testing.TB, b phlo.Budget) *phlo.Pacer {
	t.Helper()
	p, err := phlo.NewPacer(b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// mustAPIError asserts err is (or wraps) an *APIError.
func mustAPIError(t *testing.T, err error) *phlo.APIError {
	t.Helper()
	var ae *phlo.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want *APIError, got %T: %v", err, err)
	}
	return ae
}

// mustRequestError asserts err is (or wraps) a *RequestError.
func mustRequestError(t *testing.T, err error) *phlo.RequestError {
	t.Helper()
	var re *phlo.RequestError
	if !errors.As(err, &re) {
		t.Fatalf("want *RequestError, got %T: %v", err, err)
	}
	return re
}

// wantRequests asserts the server saw exactly n requests.
func wantRequests(t *testing.T, srv *phlotest.Server, n int) []phlotest.Request {
	t.Helper()
	reqs := srv.Requests()
	if len(reqs) != n {
		t.Fatalf("server saw %d requests, want %d", len(reqs), n)
	}
	return reqs
}

// countingTransport counts response body bytes handed to the client.
type countingTransport struct {
	rt   http.RoundTripper
	read atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.rt.RoundTrip(r)
	if err == nil {
		resp.Body = &countingBody{ReadCloser: resp.Body, n: &c.read}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}
