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

func TestStopBeforeSendingSendsNothing(t *testing.T) {
	t.Parallel()
	c, srv := newPair(t, nil)
	stop := make(chan struct{})
	close(stop)
	_, err := c.AddMember(phlo.WithStop(ctxT(t), stop), testNode(), testCall())
	re := mustRequestError(t, err)
	if re.Sent || re.Attempts != 0 || !errors.Is(err, phlo.ErrStopped) || phlo.OutcomeUnknown(err) {
		t.Errorf("err = %v (%+v)", err, re)
	}
	wantRequests(t, srv, 0)
	// A nil stop never fires.
	if _, err := c.AddMember(phlo.WithStop(ctxT(t), nil), testNode(), testCall()); err != nil {
		t.Errorf("nil stop: %v", err)
	}
}

func TestStopEndsPacerWait(t *testing.T) {
	t.Parallel()
	p := newPacer(t, phlo.Budget{Requests: 1, Per: time.Hour})
	c, srv := newPair(t, func(c *phlo.Config) { c.Pacer = p })
	if _, err := c.AddMember(ctxT(t), testNode(), testCall()); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	time.AfterFunc(10*time.Millisecond, func() { close(stop) }) // whether before or during the wait, the answer is the same
	_, err := c.UpdateMember(phlo.WithStop(t.Context(), stop), testNode(), testTo, phlo.MemberHold)
	if re := mustRequestError(t, err); re.Sent || re.Attempts != 0 || !errors.Is(err, phlo.ErrStopped) {
		t.Errorf("err = %v", err)
	}
	wantRequests(t, srv, 1)
}

func TestStopEndsRetryWait(t *testing.T) {
	t.Parallel()
	stop := make(chan struct{})
	hook := &hookTransport{rt: &http.Transport{}, onResponse: func() { close(stop) }}
	c, srv := newPair(t, func(c *phlo.Config) {
		c.MaxRetryWait = time.Minute
		c.HTTPClient = &http.Client{Transport: hook}
	})
	srv.Enqueue(rateLimited("60"))
	// No deadline, or the client would not even start a 60 s wait.
	_, err := c.AddMember(phlo.WithStop(t.Context(), stop), testNode(), testCall())
	re := mustRequestError(t, err)
	if re.Sent || re.Attempts != 1 || !errors.Is(err, phlo.ErrStopped) || phlo.OutcomeUnknown(err) {
		t.Errorf("err = %v (%+v)", err, re)
	}
	if ae := mustAPIError(t, err); !ae.RateLimited() {
		t.Errorf("inner = %+v", ae)
	}
	wantRequests(t, srv, 1)
}

// TestStopDoesNotInterruptAnAttemptInFlight: stop closes while Plivo is
// working on the request; the answer is still awaited and returned.
func TestStopDoesNotInterruptAnAttemptInFlight(t *testing.T) {
	t.Parallel()
	stop := make(chan struct{})
	srv := phlotest.NewServer(phlotest.Config{OnRequest: func(phlotest.Request) { close(stop) }})
	t.Cleanup(srv.Close)
	srv.Enqueue(phlotest.Response{Delay: 50 * time.Millisecond}) // answers after stop closed
	c := newClient(t, srv, nil)
	res, err := c.AddMember(phlo.WithStop(ctxT(t), stop), testNode(), testCall())
	if err != nil || res.APIID == "" {
		t.Fatalf("AddMember = %+v, %v", res, err)
	}
	select {
	case <-stop:
	default:
		t.Fatal("stop was not closed during the attempt")
	}
}

func TestStopIsNotCancel(t *testing.T) {
	t.Parallel()
	// WithStop leaves the context itself alone.
	stop := make(chan struct{})
	close(stop)
	ctx := phlo.WithStop(context.Background(), stop)
	if ctx.Err() != nil {
		t.Errorf("ctx.Err() = %v", ctx.Err())
	}
}
