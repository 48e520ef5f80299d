package phlo_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/phlo"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

func rateLimited(retryAfter string) phlotest.Response {
	r := phlotest.JSONResponse(http.StatusTooManyRequests, "too many requests")
	if retryAfter != "" {
		r.Header.Set("Retry-After", retryAfter)
	}
	return r
}

func TestRetryAfter429(t *testing.T) {
	t.Parallel()
	for name, ra := range map[string]string{
		"seconds":   "0",
		"past date": time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat),
		"absent":    "", // backoff, capped at MaxRetryWait = 1ms
		"garbage":   "soon",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, srv := newPair(t, nil)
			srv.Enqueue(rateLimited(ra))
			res, err := c.AddMember(ctxT(t), testNode(), testCall())
			if err != nil {
				t.Fatalf("AddMember: %v", err)
			}
			reqs := wantRequests(t, srv, 2)
			if res.Attempts != 2 || res.StatusCode != http.StatusCreated || res.APIID != reqs[1].APIID {
				t.Errorf("result = %+v", res)
			}
			if reqs[0].Status != 429 || string(reqs[0].RawBody) != string(reqs[1].RawBody) {
				t.Errorf("requests differ: %+v", reqs)
			}
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	c, srv := newPair(t, func(c *phlo.Config) { c.MaxRetryWait = time.Minute })
	srv.Enqueue(rateLimited("1"))
	if _, err := c.AddMember(ctxT(t), testNode(), testCall()); err != nil {
		t.Fatal(err)
	}
	reqs := wantRequests(t, srv, 2)
	if gap := reqs[1].At.Sub(reqs[0].At); gap < 900*time.Millisecond {
		t.Errorf("retried after %v, want ~1s", gap)
	}
}

func TestRateLimitedForever(t *testing.T) {
	t.Parallel()
	c, srv := newPair(t, func(c *phlo.Config) { c.MaxAttempts = 3 })
	for range 10 {
		srv.Enqueue(rateLimited("120")) // capped to MaxRetryWait (1ms)
	}
	// Uncapped, a 120 s wait would not fit ctxT's deadline and the call
	// would end in a RequestError before the second attempt.
	_, err := c.AddMember(ctxT(t), testNode(), testCall())
	ae := mustAPIError(t, err)
	if !ae.RateLimited() || ae.Attempts != 3 || ae.RetryAfter != 120*time.Second {
		t.Errorf("APIError = %+v", ae)
	}
	if phlo.OutcomeUnknown(err) {
		t.Error("a 429 is not OutcomeUnknown")
	}
	if want := "phlo: call: HTTP 429 Too Many Requests: too many requests (after 3 attempts)"; err.Error()[:len(want)] != want {
		t.Errorf("Error() = %q", err)
	}
	wantRequests(t, srv, 3)
}

func TestMaxAttemptsOneDisablesRetry(t *testing.T) {
	t.Parallel()
	c, srv := newPair(t, func(c *phlo.Config) { c.MaxAttempts = 1 })
	srv.Enqueue(rateLimited("0"))
	_, err := c.AddMember(ctxT(t), testNode(), testCall())
	if ae := mustAPIError(t, err); !ae.RateLimited() || ae.Attempts != 1 {
		t.Errorf("err = %v", err)
	}
	wantRequests(t, srv, 1)
}

func TestTimeoutAfterSendIsNotRetried(t *testing.T) {
	t.Parallel()
	c, srv := newPair(t, func(c *phlo.Config) {
		c.Timeout = time.Second // long enough to be sent on a loaded machine; the answer takes a minute
		c.MaxAttempts = 4
	})
	srv.Enqueue(phlotest.Response{Status: 201, Body: `{"api_id":"late","error":""}`, Delay: time.Minute})
	_, err := c.AddMember(ctxT(t), testNode(), testCall())
	re := mustRequestError(t, err)
	if !re.Sent || !re.Timeout() || re.Attempts != 1 || !phlo.OutcomeUnknown(err) {
		t.Errorf("RequestError = %+v (timeout %v), OutcomeUnknown %v", re, re.Timeout(), phlo.OutcomeUnknown(err))
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
	if err := srv.Wait(ctxT(t), 1); err != nil {
		t.Fatal(err)
	}
	wantRequests(t, srv, 1)
}

func TestCallerDeadlineAfterSend(t *testing.T) {
	t.Parallel()
	c, srv := newPair(t, nil) // per-attempt timeout 5s
	srv.Enqueue(phlotest.Response{Delay: time.Minute})
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	_, err := c.AddMember(ctx, testNode(), testCall())
	if re := mustRequestError(t, err); !re.Sent || !phlo.OutcomeUnknown(err) {
		t.Errorf("err = %+v", re)
	}
	_ = srv.Wait(ctxT(t), 1)
	wantRequests(t, srv, 1)
}

func TestResetAfterWriteIsNotRetried(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.ReadAll(r.Body)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}))
	t.Cleanup(ts.Close)
	c, err := phlo.New(phlo.Config{
		BaseURL: ts.URL, AuthID: "id", AuthToken: "token",
		MaxAttempts: 4, MaxRetryWait: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.AddMember(ctxT(t), testNode(), testCall())
	re := mustRequestError(t, err)
	if !re.Sent || re.Attempts != 1 || !phlo.OutcomeUnknown(err) {
		t.Errorf("RequestError = %+v", re)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("server hit %d times", n)
	}
}

func TestConnectionRefusedIsRetried(t *testing.T) {
	t.Parallel()
	srv := phlotest.NewServer(phlotest.Config{})
	srv.Close() // nothing listens on the port any more
	var dials atomic.Int32
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
	c := newClient(t, srv, func(c *phlo.Config) {
		c.MaxAttempts = 3
		c.HTTPClient = &http.Client{Transport: tr}
	})
	_, err := c.AddMember(ctxT(t), testNode(), testCall())
	re := mustRequestError(t, err)
	if re.Sent || re.Attempts != 3 || phlo.OutcomeUnknown(err) {
		t.Errorf("RequestError = %+v", re)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) || opErr.Op != "dial" {
		t.Errorf("err = %v, want a dial *net.OpError inside", err)
	}
	if n := dials.Load(); n != 3 {
		t.Errorf("dialled %d times, want 3", n)
	}
}

func TestCancelStopsRetryWait(t *testing.T) {
	t.Parallel()
	// Cancel once the 429 has reached the client, so that the cancel lands
	// in (or just before) the retry wait, never during the request.
	gotResp := make(chan struct{})
	hook := &hookTransport{rt: &http.Transport{}, onResponse: func() { close(gotResp) }}
	c, srv := newPair(t, func(c *phlo.Config) {
		c.MaxRetryWait = time.Minute
		c.HTTPClient = &http.Client{Transport: hook}
	})
	srv.Enqueue(rateLimited("60"))
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-gotResp
		cancel()
	}()
	// Had the cancel not ended the 60 s wait, the retry would succeed.
	_, err := c.AddMember(ctx, testNode(), testCall())
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	re := mustRequestError(t, err)
	if re.Sent || re.Attempts != 1 || phlo.OutcomeUnknown(err) {
		t.Errorf("RequestError = %+v", re)
	}
	if ae := mustAPIError(t, err); !ae.RateLimited() || ae.RetryAfter != time.Minute {
		t.Errorf("inner APIError = %+v", ae)
	}
	wantRequests(t, srv, 1)
}

func TestCancelledBeforeStart(t *testing.T) {
	t.Parallel()
	c, srv := newPair(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := c.AddMember(ctx, testNode(), testCall())
	if re := mustRequestError(t, err); re.Sent || re.Attempts != 0 || !errors.Is(err, context.Canceled) {
		t.Errorf("err = %+v", re)
	}
	wantRequests(t, srv, 0)
}

func TestPacerWaitEndsWithContext(t *testing.T) {
	t.Parallel()
	p, err := phlo.NewPacer(phlo.Budget{Requests: 1, Per: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	c, srv := newPair(t, func(c *phlo.Config) { c.Pacer = p })
	if _, err := c.AddMember(ctxT(t), testNode(), testCall()); err != nil {
		t.Fatal(err)
	}
	// With a deadline the wait cannot meet: refused at once.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	_, err = c.AddMember(ctx, testNode(), testCall())
	if re := mustRequestError(t, err); re.Sent || re.Attempts != 0 || phlo.OutcomeUnknown(err) ||
		!errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		t.Errorf("err = %v", err)
	}
	// Without one: waits until cancelled (pacer_test.go pins the queued
	// case down without timing).
	ctx, cancel = context.WithCancel(t.Context())
	time.AfterFunc(10*time.Millisecond, cancel)
	_, err = c.AddMember(ctx, testNode(), testCall())
	if re := mustRequestError(t, err); re.Sent || re.Attempts != 0 || !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	wantRequests(t, srv, 1)
}

func TestRetryWaitBeyondDeadlineFailsFast(t *testing.T) {
	t.Parallel()
	c, srv := newPair(t, func(c *phlo.Config) { c.MaxRetryWait = 2 * time.Hour })
	srv.Enqueue(rateLimited("3600"))
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	_, err := c.AddMember(ctx, testNode(), testCall())
	if ctx.Err() != nil {
		t.Error("waited for the deadline instead of failing at once")
	}
	if !errors.Is(err, context.DeadlineExceeded) || !mustAPIError(t, err).RateLimited() || phlo.OutcomeUnknown(err) ||
		!strings.Contains(err.Error(), "would outlast the deadline") {
		t.Errorf("err = %v", err)
	}
	wantRequests(t, srv, 1)
}

// failingTransport is a RoundTripper that never calls the trace hooks, like
// many custom transports.
type failingTransport struct {
	calls atomic.Int32
	err   error
}

func (f *failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	f.calls.Add(1)
	return nil, f.err
}

func TestCustomTransportSentDetection(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		err  error
		sent bool
	}{
		{"unknown failure counts as sent", errors.New("custom transport exploded"), true},
		{"dial failure", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("refused")}, false},
		{"DNS failure", &net.DNSError{Err: "no such host", Name: "phlorunner.invalid", IsNotFound: true}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ft := &failingTransport{err: tc.err}
			c, srv := newPair(t, func(c *phlo.Config) {
				c.HTTPClient = &http.Client{Transport: ft}
				c.MaxAttempts = 3
			})
			_, err := c.AddMember(ctxT(t), testNode(), testCall())
			re := mustRequestError(t, err)
			wantCalls := int32(3)
			if tc.sent {
				wantCalls = 1
			}
			if re.Sent != tc.sent || phlo.OutcomeUnknown(err) != tc.sent || ft.calls.Load() != wantCalls || re.Attempts != int(wantCalls) {
				t.Errorf("RequestError = %+v, calls %d", re, ft.calls.Load())
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("err = %v does not wrap %v", err, tc.err)
			}
			wantRequests(t, srv, 0)
		})
	}
}

func TestTimeoutBeforeConnectionIsRetried(t *testing.T) {
	t.Parallel()
	var dials atomic.Int32
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		dials.Add(1)
		<-ctx.Done() // a black-holed SYN
		return nil, ctx.Err()
	}}
	c, srv := newPair(t, func(c *phlo.Config) {
		c.HTTPClient = &http.Client{Transport: tr}
		c.Timeout = 30 * time.Millisecond
		c.MaxAttempts = 2
	})
	_, err := c.AddMember(ctxT(t), testNode(), testCall())
	re := mustRequestError(t, err)
	if re.Sent || !re.Timeout() || re.Attempts != 2 || phlo.OutcomeUnknown(err) || dials.Load() != 2 {
		t.Errorf("RequestError = %+v, timeout %v, dials %d", re, re.Timeout(), dials.Load())
	}
	wantRequests(t, srv, 0)
}

// hookTransport calls onResponse once, after the first response arrived.
type hookTransport struct {
	rt         http.RoundTripper
	once       sync.Once
	onResponse func()
}

func (h *hookTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := h.rt.RoundTrip(r)
	if err == nil {
		h.once.Do(h.onResponse)
	}
	return resp, err
}

// TestUnexpected429SlowsThePacer: Plivo did nothing, so the call is
// retried and succeeds; meanwhile the shared pacer has halved its budget,
// for every client that uses it.
func TestUnexpected429SlowsThePacer(t *testing.T) {
	t.Parallel()
	// A long window, so the budget cannot recover while the test runs; a
	// Retry-After of 1 s keeps the pacer's pause short.
	p := newPacer(t, phlo.Budget{Requests: 10, Per: time.Hour})
	c, srv := newPair(t, func(c *phlo.Config) { c.Pacer = p })
	other := newClient(t, srv, func(c *phlo.Config) { c.Pacer = p })
	srv.Enqueue(rateLimited("1"))
	res, err := c.AddMember(ctxT(t), testNode(), testCall())
	if err != nil || res.Attempts != 2 {
		t.Fatalf("AddMember = %+v, %v", res, err)
	}
	if e := p.Effective(); e.Requests != 5 || e.Per != time.Hour {
		t.Errorf("Effective() = %v, want 5/1h0m0s", e)
	}
	if _, err := other.UpdateMember(ctxT(t), testNode(), testTo, phlo.MemberHold); err != nil {
		t.Fatal(err)
	}
	if p.Budget().Requests != 10 {
		t.Error("Budget() changed")
	}
	wantRequests(t, srv, 3)
}
