package phlo_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/address"
	"github.com/mpc-bot/mpc-bot/conference"
	"github.com/mpc-bot/mpc-bot/phlo"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

func mustAddr(t testing.TB, s string) address.Address {
	t.Helper()
	a, err := address.Parse(s, "")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func testBridge() conference.Bridge {
	return conference.Bridge{Name: "default", PhloID: phlotest.DefaultPhloID, NodeID: phlotest.DefaultNodeID}
}

func callCommand(t testing.TB) conference.Command {
	return conference.Command{
		Bridge: testBridge(), Verb: conference.VerbCall,
		To: mustAddr(t, testTo), Role: conference.RoleCustomer, TriggerSource: mustAddr(t, testTrigger),
	}
}

func holdCommand(t testing.TB) conference.Command {
	return conference.Command{Bridge: testBridge(), Verb: conference.VerbHold, Member: mustAddr(t, testSIP)}
}

func TestSwitchboardVerbs(t *testing.T) {
	t.Parallel()
	c, srv := newPair(t, func(c *phlo.Config) { c.NumberFormat = phlo.NumberDigits })
	sb := phlo.Switchboard{Client: c}
	to, trigger, member := mustAddr(t, testTo), mustAddr(t, testTrigger), mustAddr(t, testSIP)
	cases := []struct {
		verb       conference.Verb
		action     string
		memberPath string
	}{
		{conference.VerbCall, "call", ""},
		{conference.VerbWarmTransfer, "warm_transfer", ""},
		{conference.VerbColdTransfer, "cold_transfer", ""},
		{conference.VerbHold, "hold", testSIP},
		{conference.VerbUnhold, "unhold", testSIP},
		{conference.VerbHangup, "hangup", testSIP},
		{conference.VerbAbortTransfer, "abort_transfer", testSIP},
	}
	for i, tc := range cases {
		cmd := conference.Command{Bridge: testBridge(), Verb: tc.verb}
		if tc.verb.Member() {
			cmd.Member = member
		} else {
			cmd.To, cmd.Role, cmd.TriggerSource = to, conference.RoleCustomer, trigger
		}
		o := sb.Send(ctxT(t), nil, cmd)
		r := srv.Requests()[i]
		if o.Status != conference.StatusAccepted || o.APIID != r.APIID || o.APIID == "" || o.Cause != conference.CauseNone ||
			o.HTTPStatus != 201 || o.Attempts != 1 || o.Plivo != "" {
			t.Errorf("%s: outcome %+v", tc.verb, o)
		}
		if r.Action != tc.action || r.MemberAddress != tc.memberPath || r.PhloID != phlotest.DefaultPhloID || r.NodeID != phlotest.DefaultNodeID {
			t.Errorf("%s: request %+v", tc.verb, r)
		}
		if !tc.verb.Member() && (r.To != "14155550100" || r.TriggerSource != "14155550199" || r.Role != "customer") {
			t.Errorf("%s: to %q trigger %q role %q", tc.verb, r.To, r.TriggerSource, r.Role)
		}
	}
	wantRequests(t, srv, len(cases))
}

// TestSwitchboardOutcomes drives every row of Send's classification
// against the fake PHLO runner.
func TestSwitchboardOutcomes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mod    func(*phlo.Config)
		srvCfg func(*phlotest.Config, *env)
		// run sends the command, possibly with its own ctx or setup.
		run      func(e *env) conference.Outcome
		status   conference.Status
		cause    conference.Cause
		http     int
		attempts int
		plivo    string
		requests int // -1: do not check
	}{
		{name: "accepted", status: conference.StatusAccepted, http: 201, attempts: 1, requests: 1},
		{name: "accepted with a message", status: conference.StatusAccepted, http: 201, attempts: 1, requests: 1,
			plivo: "member queued behind *** on the call",
			run: func(e *env) conference.Outcome {
				e.srv.Enqueue(phlotest.JSONResponse(201, "member queued behind "+testTrigger+" on the call"))
				return e.sb.Send(ctxT(e.t), e.stop, callCommand(e.t))
			}},
		{name: "accepted without api_id", status: conference.StatusAccepted, cause: conference.CauseNoAPIID, http: 200, attempts: 1, requests: 1,
			run: func(e *env) conference.Outcome {
				e.srv.Enqueue(phlotest.Response{Status: 200, Body: "OK"})
				return e.sb.Send(ctxT(e.t), e.stop, callCommand(e.t))
			}},
		{name: "401", mod: func(c *phlo.Config) { c.AuthToken = "wrong-token-0123456789" },
			status: conference.StatusFailed, cause: conference.CauseCredentials, http: 401, attempts: 1, plivo: "authentication failed", requests: 1},
		{name: "403", status: conference.StatusFailed, cause: conference.CauseForbidden, http: 403, attempts: 1, plivo: "PHLO not enabled", requests: 1,
			run: enqueueThenCall(phlotest.JSONResponse(403, "PHLO not enabled"))},
		{name: "404 node", status: conference.StatusFailed, cause: conference.CauseNotFound, http: 404, attempts: 1,
			plivo: "multi_party_call node not found", requests: 1,
			run: func(e *env) conference.Outcome {
				cmd := callCommand(e.t)
				cmd.Bridge.NodeID = "gone"
				return e.sb.Send(ctxT(e.t), e.stop, cmd)
			}},
		{name: "404 member", status: conference.StatusFailed, cause: conference.CauseNotOnCall, http: 404, attempts: 1,
			plivo: "member not found", requests: 1,
			run: func(e *env) conference.Outcome {
				e.srv.Enqueue(phlotest.JSONResponse(404, "member not found"))
				return e.sb.Send(ctxT(e.t), e.stop, holdCommand(e.t))
			}},
		{name: "429 after every retry", mod: func(c *phlo.Config) { c.MaxAttempts = 3 },
			status: conference.StatusFailed, cause: conference.CauseRateLimited, http: 429, attempts: 3, plivo: "too many requests", requests: 3,
			run: enqueueThenCall(rateLimited("0"), rateLimited("0"), rateLimited("0"))},
		{name: "400", status: conference.StatusFailed, cause: conference.CauseRejected, http: 400, attempts: 1,
			plivo: "to is a mandatory param.", requests: 1,
			run: enqueueThenCall(phlotest.JSONResponse(400, "to is a mandatory param."))},
		{name: "409", status: conference.StatusFailed, cause: conference.CauseRejected, http: 409, attempts: 1, requests: 1,
			run: enqueueThenCall(phlotest.Response{Status: 409, Body: "<html>conflict</html>"})}, // not Plivo's words: no Plivo text
		{name: "500", status: conference.StatusUnknown, cause: conference.CauseServerError, http: 500, attempts: 1, plivo: "boom", requests: 1,
			run: enqueueThenCall(phlotest.JSONResponse(500, "boom"))},
		{name: "503 persistent", status: conference.StatusUnknown, cause: conference.CauseServerError, http: 503, attempts: 1,
			plivo: "Service Unavailable", requests: 1,
			run: func(e *env) conference.Outcome {
				e.srv.SetFailure(phlotest.Failure{Status: 503})
				return e.sb.Send(ctxT(e.t), e.stop, callCommand(e.t))
			}},
		{name: "stopped before sending", status: conference.StatusFailed, cause: conference.CauseShutdown, requests: 0,
			run: func(e *env) conference.Outcome {
				close(e.stop)
				return e.sb.Send(ctxT(e.t), e.stop, callCommand(e.t))
			}},
		{name: "stopped while backing off", mod: func(c *phlo.Config) { c.MaxRetryWait = time.Minute },
			status: conference.StatusFailed, cause: conference.CauseShutdown, http: 429, attempts: 1, plivo: "too many requests", requests: 1,
			srvCfg: func(c *phlotest.Config, e *env) { c.OnRequest = func(phlotest.Request) { close(e.stop) } },
			run: func(e *env) conference.Outcome {
				e.srv.Enqueue(rateLimited("60"))
				return e.sb.Send(e.t.Context(), e.stop, callCommand(e.t))
			}},
		{name: "deadline passed while waiting for the pacer",
			mod:    func(c *phlo.Config) { c.Pacer, _ = phlo.NewPacer(phlo.Budget{Requests: 1, Per: time.Hour}) },
			status: conference.StatusFailed, cause: conference.CauseBusy, requests: 1,
			run: func(e *env) conference.Outcome {
				if o := e.sb.Send(ctxT(e.t), e.stop, callCommand(e.t)); !o.Accepted() {
					e.t.Fatalf("first: %+v", o)
				}
				return e.sb.Send(ctxT(e.t), e.stop, callCommand(e.t)) // the slot is an hour away
			}},
		{name: "retry wait would outlast the deadline", mod: func(c *phlo.Config) { c.MaxRetryWait = time.Minute },
			status: conference.StatusFailed, cause: conference.CauseBusy, http: 429, attempts: 1, plivo: "too many requests", requests: 1,
			run: enqueueThenCall(rateLimited("60"))},
		{name: "deadline already passed", status: conference.StatusFailed, cause: conference.CauseBusy, requests: 0,
			run: func(e *env) conference.Outcome {
				ctx, cancel := context.WithDeadline(e.t.Context(), time.Now().Add(-time.Second))
				defer cancel()
				return e.sb.Send(ctx, e.stop, callCommand(e.t))
			}},
		{name: "cancelled", status: conference.StatusFailed, cause: conference.CauseShutdown, requests: 0,
			run: func(e *env) conference.Outcome {
				ctx, cancel := context.WithCancel(e.t.Context())
				cancel()
				return e.sb.Send(ctx, e.stop, callCommand(e.t))
			}},
		{name: "unreachable", mod: func(c *phlo.Config) { c.MaxAttempts = 2 },
			status: conference.StatusFailed, cause: conference.CauseUnreachable, attempts: 2, requests: -1,
			run: func(e *env) conference.Outcome {
				e.srv.Close()
				return e.sb.Send(ctxT(e.t), e.stop, callCommand(e.t))
			}},
		{name: "timeout after sending", mod: func(c *phlo.Config) { c.Timeout = time.Second },
			status: conference.StatusUnknown, cause: conference.CauseTimeout, attempts: 1, requests: 1,
			run: func(e *env) conference.Outcome {
				e.srv.SetFailure(phlotest.Failure{Delay: time.Minute})
				return e.sb.Send(ctxT(e.t), e.stop, callCommand(e.t))
			}},
		{name: "connection cut after sending", status: conference.StatusUnknown, cause: conference.CauseConnectionCut, attempts: 1, requests: 1,
			srvCfg: func(c *phlotest.Config, e *env) {
				// Close the server (and its connections) while the answer is held back.
				c.OnRequest = func(phlotest.Request) { go e.srv.Close() }
			},
			run: func(e *env) conference.Outcome {
				e.srv.Enqueue(phlotest.Response{Delay: time.Minute})
				return e.sb.Send(ctxT(e.t), e.stop, callCommand(e.t))
			}},
		{name: "cancelled after sending", status: conference.StatusUnknown, cause: conference.CauseStopped, attempts: 1, requests: 1,
			run: func(e *env) conference.Outcome {
				ctx, cancel := context.WithCancel(ctxT(e.t))
				e.srv.Enqueue(phlotest.Response{Delay: time.Minute})
				go func() {
					if e.srv.Wait(ctx, 1) == nil {
						cancel()
					}
				}()
				return e.sb.Send(ctx, e.stop, callCommand(e.t))
			}},
		{name: "redirect", status: conference.StatusUnknown, cause: conference.CauseBadAnswer, http: 307, attempts: 1, requests: 1,
			run: enqueueThenCall(phlotest.Response{Status: 307, Header: http.Header{"Location": {"/elsewhere"}}})},
		{name: "invalid command", status: conference.StatusFailed, cause: conference.CauseRejected, requests: 0,
			run: func(e *env) conference.Outcome {
				cmd := callCommand(e.t)
				cmd.To = address.Address{}
				return e.sb.Send(ctxT(e.t), e.stop, cmd)
			}},
		{name: "unknown verb", status: conference.StatusFailed, cause: conference.CauseRejected, requests: 0,
			run: func(e *env) conference.Outcome {
				cmd := callCommand(e.t)
				cmd.Verb = "resume_call"
				return e.sb.Send(ctxT(e.t), e.stop, cmd)
			}},
		{name: "missing bridge ids", status: conference.StatusFailed, cause: conference.CauseRejected, requests: 0,
			run: func(e *env) conference.Outcome {
				cmd := holdCommand(e.t)
				cmd.Bridge = conference.Bridge{Name: "x"}
				return e.sb.Send(ctxT(e.t), e.stop, cmd)
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := &env{t: t, stop: make(chan struct{})}
			var scfg phlotest.Config
			if tc.srvCfg != nil {
				tc.srvCfg(&scfg, e)
			}
			e.srv = phlotest.NewServer(scfg)
			t.Cleanup(e.srv.Close)
			e.sb = phlo.Switchboard{Client: newClient(t, e.srv, tc.mod)}
			run := tc.run
			if run == nil {
				run = func(e *env) conference.Outcome { return e.sb.Send(ctxT(e.t), e.stop, callCommand(e.t)) }
			}
			o := run(e)
			if o.Status != tc.status || o.Cause != tc.cause || o.HTTPStatus != tc.http || o.Attempts != tc.attempts || o.Plivo != tc.plivo {
				t.Errorf("outcome = %+v\nwant status %s cause %q http %d attempts %d plivo %q",
					o, tc.status, tc.cause, tc.http, tc.attempts, tc.plivo)
			}
			for _, secret := range []string{testTo, testTo[1:], testTrigger, testTrigger[1:], phlotest.DefaultAuthToken} {
				if strings.Contains(o.Plivo, secret) || strings.Contains(o.APIID, secret) {
					t.Errorf("outcome leaks %q: %+v", secret, o)
				}
			}
			if tc.requests >= 0 {
				_ = e.srv.Wait(ctxT(t), tc.requests)
				wantRequests(t, e.srv, tc.requests)
			}
		})
	}
}

// env is one switchboard case's world.
type env struct {
	t    *testing.T
	srv  *phlotest.Server
	sb   phlo.Switchboard
	stop chan struct{}
}

// enqueueThenCall queues answers, then sends a call.
func enqueueThenCall(r ...phlotest.Response) func(e *env) conference.Outcome {
	return func(e *env) conference.Outcome {
		e.srv.Enqueue(r...)
		return e.sb.Send(ctxT(e.t), e.stop, callCommand(e.t))
	}
}

func TestSwitchboardPlivoTextIsBounded(t *testing.T) {
	t.Parallel()
	c, srv := newPair(t, nil)
	srv.Enqueue(phlotest.JSONResponse(400, strings.Repeat("ü", 500)))
	o := phlo.Switchboard{Client: c}.Send(ctxT(t), nil, callCommand(t))
	if n := len([]rune(o.Plivo)); n > 200 || n < 90 || o.Cause != conference.CauseRejected {
		t.Errorf("Plivo has %d runes: %+v", n, o)
	}
}
