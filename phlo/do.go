package phlo

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync/atomic"
	"time"
)

// request is one logical API call; do may send it several times.
type request struct {
	op         string   // for error strings, e.g. "call", "member hold"
	method     string   // default POST
	path       string   // escaped path below base
	body       []byte   // JSON; nil for GET
	secrets    []string // values to mask in error strings besides credentials
	idempotent bool     // safe to resend whatever happened (GET)
}

// attemptOutcome is the result of one HTTP attempt.
type attemptOutcome struct {
	res        Result
	body       []byte // the 2xx body, for GETs
	err        error
	retry      bool          // provably nothing happened at Plivo, or the request is idempotent
	wait       time.Duration // how long to wait before retrying
	throttled  bool          // a 429: tell the pacer
	retryAfter time.Duration // the 429's Retry-After, 0 if none
}

// do sends req, retrying only what provably did nothing (429 and failures
// before a connection was obtained) or what is idempotent, within
// MaxAttempts and ctx. Every attempt first takes a slot from the pacer.
// Waits before an attempt also end when WithStop's channel closes.
func (c *Client) do(ctx context.Context, req request) (Result, []byte, error) {
	stop := stopFrom(ctx)
	red := newRedactor(c.authID, c.authToken, req.secrets...)
	var last error
	for n := 1; ; n++ {
		gen, err := c.pacer.wait(ctx, stop)
		if err != nil {
			// ctx done, stop closed, or the turn would come after the
			// deadline; this attempt sent nothing.
			return Result{}, nil, c.aborted(req.op, n-1, err, last)
		}
		out := c.attempt(ctx, req, red, n)
		c.pacer.release(gen, out.throttled, out.retryAfter)
		if out.err == nil {
			return out.res, out.body, nil
		}
		if !out.retry || n >= c.maxAttempts {
			return Result{}, nil, out.err
		}
		if err := ctx.Err(); err != nil {
			if errors.Is(out.err, err) {
				return Result{}, nil, out.err // the attempt itself was cut short
			}
			// The caller gave up just as a retryable answer arrived.
			return Result{}, nil, c.aborted(req.op, n, err, out.err)
		}
		last = out.err
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < out.wait {
			// Waiting would only end in the deadline; report now.
			return Result{}, nil, c.aborted(req.op, n, &waitTooLongError{what: "the retry", wait: out.wait}, last)
		}
		t := time.NewTimer(out.wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return Result{}, nil, c.aborted(req.op, n, ctx.Err(), last)
		case <-stop:
			t.Stop()
			return Result{}, nil, c.aborted(req.op, n, ErrStopped, last)
		}
	}
}

// aborted builds the error for a call stopped while waiting to send
// (caller's context, stop, the pacer). Nothing was sent by the attempt
// that did not happen, and every earlier attempt was provably without
// effect or idempotent (or we would not have been retrying), so Sent is
// false.
func (c *Client) aborted(op string, attempts int, cause, last error) error {
	err := cause
	if last != nil {
		err = &abortedRetry{cause: cause, last: last}
	}
	return &RequestError{Op: op, Sent: false, Err: err, Attempts: attempts, waited: true}
}

// abortedRetry keeps both why we stopped (for errors.Is(err,
// context.Canceled)) and the last attempt's error (for errors.As(err,
// &apiErr) to see the 429).
type abortedRetry struct{ cause, last error }

func (e *abortedRetry) Error() string {
	last := e.last.Error()
	var ae *APIError
	var re *RequestError
	switch {
	case errors.As(e.last, &ae):
		last = fmt.Sprintf("HTTP %d", ae.StatusCode)
	case errors.As(e.last, &re):
		last = re.Err.Error()
	}
	return fmt.Sprintf("%v while waiting to retry after: %s", e.cause, last)
}

func (e *abortedRetry) Unwrap() []error { return []error{e.cause, e.last} }

// attempt performs one HTTP request with its own timeout.
func (c *Client) attempt(ctx context.Context, req request, red redactor, n int) attemptOutcome {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	// sent turns true once a connection was handed the request. GotConn
	// fires synchronously in RoundTrip before the request is given to the
	// connection's writer, so if it never fired, not a byte was written.
	// WroteRequest alone is not enough: RoundTrip may return on a timeout
	// while the writer goroutine is still flushing.
	var sent atomic.Bool
	trace := &httptrace.ClientTrace{
		GotConn:      func(httptrace.GotConnInfo) { sent.Store(true) },
		WroteRequest: func(httptrace.WroteRequestInfo) { sent.Store(true) },
	}
	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	hreq, err := http.NewRequestWithContext(httptrace.WithClientTrace(actx, trace),
		cmp.Or(req.method, http.MethodPost), c.base+req.path, body)
	if err != nil {
		return attemptOutcome{err: &RequestError{Op: req.op, Err: red.Error(stripURLError(err)), Attempts: n}}
	}
	if req.body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("User-Agent", userAgent)
	hreq.SetBasicAuth(c.authID, c.authToken)

	resp, err := c.hc.Do(hreq)
	if err != nil {
		wasSent := c.maybeSent(sent.Load(), err)
		return attemptOutcome{
			// The *url.Error wrapper repeats the URL, which holds the member
			// address; drop it and mask whatever else might leak.
			err:   &RequestError{Op: req.op, Sent: wasSent, Err: red.Error(stripURLError(err)), Attempts: n},
			retry: !wasSent || req.idempotent,
			wait:  backoff(n, c.maxRetryWait),
		}
	}
	defer func() {
		// Drain a little so the connection can be reused, but never read
		// an unbounded body.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		_ = resp.Body.Close()
	}()
	data, readErr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	if len(data) > maxResponseBody {
		data = data[:maxResponseBody]
	}
	env := parseEnvelope(data)

	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		if readErr != nil && req.idempotent {
			// A GET's answer is its body; ask again.
			return attemptOutcome{
				err:   &RequestError{Op: req.op, Sent: true, Err: red.Error(readErr), Attempts: n},
				retry: true,
				wait:  backoff(n, c.maxRetryWait),
			}
		}
		// Any 2xx means Plivo accepted the request. The body is only
		// informative: a missing api_id, an empty or non-JSON body, or a
		// broken read do not undo what Plivo did.
		return attemptOutcome{
			res: Result{
				APIID:      excerpt([]byte(red.String(env.apiID))),
				Message:    excerpt([]byte(red.String(env.errMsg))),
				StatusCode: resp.StatusCode,
				Attempts:   n,
			},
			body: data,
		}
	}

	ra, hasRA := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	ae := &APIError{
		Op:         req.op,
		StatusCode: resp.StatusCode,
		APIID:      excerpt([]byte(red.String(env.apiID))),
		Message:    excerpt([]byte(red.String(errorMessage(env, data)))),
		RetryAfter: ra,
		Attempts:   n,
		plivo:      excerpt([]byte(red.String(cmp.Or(env.errMsg, env.message)))),
	}
	throttled := resp.StatusCode == http.StatusTooManyRequests
	retry := throttled || (req.idempotent && resp.StatusCode >= 500)
	if !retry {
		// 4xx: refused, nothing to retry. 5xx: Plivo may have acted, and a
		// retry could dial the same person twice.
		return attemptOutcome{err: ae, throttled: throttled}
	}
	wait := backoff(n, c.maxRetryWait)
	if hasRA {
		wait = min(ra, c.maxRetryWait)
	}
	return attemptOutcome{err: ae, retry: true, wait: wait, throttled: throttled, retryAfter: ra}
}

// maybeSent decides RequestError.Sent. With a *http.Transport the trace
// hooks are authoritative. A custom RoundTripper may never call them, so
// there only a dial or DNS failure proves nothing was sent.
func (c *Client) maybeSent(traced bool, err error) bool {
	if traced {
		return true
	}
	rt := c.hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	if _, ok := rt.(*http.Transport); ok {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false
	}
	var dns *net.DNSError
	return !errors.As(err, &dns)
}

// stripURLError removes the *url.Error layer, whose message repeats the
// request URL.
func stripURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}
