package phlo_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mpc-bot/mpc-bot/phlo"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		enqueue *phlotest.Response
		mod     func(*phlo.Config)
		node    phlo.Node
		status  int
		msg     string
		unknown bool
		check   func(*phlo.APIError) bool
	}{
		{
			name: "400", status: 400, msg: "to is a mandatory param.",
			enqueue: ptr(phlotest.JSONResponse(400, "to is a mandatory param.")),
			check:   (*phlo.APIError).BadRequest,
		},
		{
			name: "401 default behaviour", status: 401, msg: "authentication failed",
			mod:   func(c *phlo.Config) { c.AuthToken = "wrong-token-0123456789" },
			check: (*phlo.APIError).Unauthorized,
		},
		{
			name: "403", status: 403, msg: "PHLO is not enabled for this account",
			enqueue: ptr(phlotest.JSONResponse(403, "PHLO is not enabled for this account")),
			check:   (*phlo.APIError).Forbidden,
		},
		{
			name: "404 default behaviour", status: 404, msg: "multi_party_call node not found",
			node:  phlo.Node{PhloID: phlotest.DefaultPhloID, NodeID: "no-such-node"},
			check: (*phlo.APIError).NotFound,
		},
		{
			name: "500", status: 500, msg: "internal server error", unknown: true,
			enqueue: ptr(phlotest.JSONResponse(500, "internal server error")),
			check:   (*phlo.APIError).ServerError,
		},
		{
			name: "503 with Retry-After is still not retried", status: 503, msg: "try later", unknown: true,
			enqueue: &phlotest.Response{
				Status: 503, Body: `{"api_id":"x1","error":"try later"}`,
				Header: http.Header{"Retry-After": {"0"}},
			},
			check: (*phlo.APIError).ServerError,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, srv := newPair(t, tc.mod)
			if tc.enqueue != nil {
				srv.Enqueue(*tc.enqueue)
			}
			node := testNode()
			if tc.node != (phlo.Node{}) {
				node = tc.node
			}
			_, err := c.AddMember(ctxT(t), node, testCall())
			ae := mustAPIError(t, err)
			if ae.StatusCode != tc.status || ae.Message != tc.msg || ae.Attempts != 1 || ae.Op != "call" {
				t.Errorf("APIError = %+v", ae)
			}
			if !tc.check(ae) {
				t.Errorf("helper for %d returned false", tc.status)
			}
			if r := wantRequests(t, srv, 1)[0]; ae.APIID != r.APIID || ae.APIID == "" {
				t.Errorf("APIID %q, server %q", ae.APIID, r.APIID)
			}
			if got := phlo.OutcomeUnknown(err); got != tc.unknown {
				t.Errorf("OutcomeUnknown = %v, want %v", got, tc.unknown)
			}
			wantPrefix := fmt.Sprintf("phlo: call: HTTP %d %s: %s", tc.status, http.StatusText(tc.status), tc.msg)
			if !strings.HasPrefix(err.Error(), wantPrefix) {
				t.Errorf("Error() = %q, want prefix %q", err, wantPrefix)
			}
		})
	}
}

func TestErrorBodies(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 300) // 600 bytes, 2-byte runes
	cases := []struct {
		name   string
		resp   phlotest.Response
		msg    string
		errStr string
	}{
		{"empty", phlotest.Response{Status: 502}, "", "phlo: call: HTTP 502 Bad Gateway"},
		{"html", phlotest.Response{Status: 503, Body: "<html>\n <body>Service Unavailable</body>\n</html>\n"},
			"<html> <body>Service Unavailable</body> </html>", ""},
		{"empty JSON", phlotest.Response{Status: 404, Body: "{}"}, "", "phlo: call: HTTP 404 Not Found"},
		{"message field", phlotest.Response{Status: 400, Body: `{"message":"bad things"}`}, "bad things", ""},
		{"non-string error", phlotest.Response{Status: 400, Body: `{"error":{"to":["required"]}}`}, `{"to":["required"]}`, ""},
		{"other JSON", phlotest.Response{Status: 400, Body: `{"detail":"nope"}`}, `{"detail":"nope"}`, ""},
		{"control chars", phlotest.Response{Status: 400, Body: "line1\r\nline2\x00\x1b[31m"}, "line1 line2 [31m", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, srv := newPair(t, nil)
			srv.Enqueue(tc.resp)
			_, err := c.AddMember(ctxT(t), testNode(), testCall())
			ae := mustAPIError(t, err)
			if ae.Message != tc.msg {
				t.Errorf("Message = %q, want %q", ae.Message, tc.msg)
			}
			if tc.errStr != "" && err.Error() != tc.errStr {
				t.Errorf("Error() = %q, want %q", err, tc.errStr)
			}
			wantRequests(t, srv, 1)
		})
	}
	t.Run("long body excerpt", func(t *testing.T) {
		t.Parallel()
		c, srv := newPair(t, nil)
		srv.Enqueue(phlotest.Response{Status: 500, Body: "x" + long})
		_, err := c.AddMember(ctxT(t), testNode(), testCall())
		ae := mustAPIError(t, err)
		if len(ae.Message) > 200 || len(ae.Message) < 150 || !utf8.ValidString(ae.Message) {
			t.Errorf("Message is %d bytes, valid UTF-8 %v: %q", len(ae.Message), utf8.ValidString(ae.Message), ae.Message)
		}
	})
	t.Run("invalid UTF-8", func(t *testing.T) {
		t.Parallel()
		c, srv := newPair(t, nil)
		srv.Enqueue(phlotest.Response{Status: 500, Body: "bad \xff\xfe bytes"})
		_, err := c.AddMember(ctxT(t), testNode(), testCall())
		if ae := mustAPIError(t, err); !utf8.ValidString(ae.Message) {
			t.Errorf("Message not valid UTF-8: %q", ae.Message)
		}
	})
}

func TestAnySuccessIsSuccess(t *testing.T) {
	t.Parallel()
	cases := []struct {
		status           int
		body, apiID, msg string
	}{
		{201, "", "", ""},
		{201, "not json", "", ""},
		{201, "null", "", ""},
		{201, "[]", "", ""},
		{201, "{}", "", ""},
		{201, `{"error":""}`, "", ""},
		{201, `{"api_id":"a1"`, "", ""}, // truncated JSON
		{201, `{"api_id":"a1","error":"boom"}`, "a1", "boom"},
		{201, `{"ApiID":"a2","Error":""}`, "a2", ""}, // plivo-go's fixture spelling
		{201, `{"ApiID":"a3","Error":"queued late"}`, "a3", "queued late"},
		{201, `{"api_id":"a4","ApiID":"other"}`, "a4", ""},
		{201, `{"api_id":"a5","error":{"to":["odd"]}}`, "a5", `{"to":["odd"]}`},
		{200, `{"api_id":"a6","error":"` + strings.Repeat("x", 500) + `"}`, "a6", strings.Repeat("x", 197) + "…"},
		{202, `{"api_id":"a7"}`, "a7", ""},
		{204, "", "", ""},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d %s", tc.status, tc.body), func(t *testing.T) {
			t.Parallel()
			c, srv := newPair(t, nil)
			srv.Enqueue(phlotest.Response{Status: tc.status, Body: tc.body})
			res, err := c.AddMember(ctxT(t), testNode(), testCall())
			if err != nil {
				t.Fatalf("AddMember: %v", err)
			}
			if res.APIID != tc.apiID || res.Message != tc.msg || res.StatusCode != tc.status || res.Attempts != 1 {
				t.Errorf("Result = %+v, want api_id %q message %q", res, tc.apiID, tc.msg)
			}
			wantRequests(t, srv, 1)
		})
	}
}

func TestOversizedBodyIsBounded(t *testing.T) {
	t.Parallel()
	const size = 1 << 20
	for _, status := range []int{http.StatusCreated, http.StatusInternalServerError} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			ct := &countingTransport{rt: &http.Transport{}}
			c, srv := newPair(t, func(c *phlo.Config) { c.HTTPClient = &http.Client{Transport: ct} })
			srv.Enqueue(phlotest.Response{Status: status, Body: `{"api_id":"` + strings.Repeat("a", size) + `","error":"` + strings.Repeat("e", size) + `"}`})
			res, err := c.AddMember(ctxT(t), testNode(), testCall())
			if status == http.StatusCreated {
				// Accepted; the truncated body is not JSON, so no api_id.
				if err != nil || res.APIID != "" || res.Message != "" {
					t.Errorf("Result = %+v, err = %v", res, err)
				}
			} else {
				ae := mustAPIError(t, err)
				if len(ae.Message) > 200 || len(ae.APIID) > 200 || !phlo.OutcomeUnknown(err) {
					t.Errorf("Message %d bytes, APIID %d bytes, OutcomeUnknown %v", len(ae.Message), len(ae.APIID), phlo.OutcomeUnknown(err))
				}
			}
			if n := ct.read.Load(); n > 80<<10 {
				t.Errorf("client read %d bytes of a %d byte body", n, 2*size)
			}
		})
	}
	t.Run("long fields in a small body", func(t *testing.T) {
		t.Parallel()
		c, srv := newPair(t, nil)
		long := strings.Repeat("é", 300)
		srv.Enqueue(phlotest.Response{Status: 201, Body: `{"api_id":"` + long + `","error":"` + long + `"}`})
		res, err := c.AddMember(ctxT(t), testNode(), testCall())
		if err != nil || len(res.APIID) > 200 || len(res.Message) > 200 || !utf8.ValidString(res.Message) || res.Message == "" {
			t.Errorf("Result = %+v, err = %v", res, err)
		}
	})
}

// TestSuccessMessageHidesSecrets: a 2xx "error" echoing the request's
// values is masked like error messages are.
func TestSuccessMessageHidesSecrets(t *testing.T) {
	t.Parallel()
	c, srv := newPair(t, nil)
	sc := srv.Config()
	echo := fmt.Sprintf("queued %s from %s as %s", testTo, testTrigger[1:], sc.AuthID)
	srv.Enqueue(phlotest.JSONResponse(201, echo))
	res, err := c.AddMember(ctxT(t), testNode(), testCall())
	if err != nil {
		t.Fatal(err)
	}
	if want := "queued *** from *** as ***"; res.Message != want {
		t.Errorf("Message = %q, want %q", res.Message, want)
	}
}

// TestErrorStringsHideSecrets drives every error path and checks that
// neither credentials nor addresses appear in any formatting of the error.
func TestErrorStringsHideSecrets(t *testing.T) {
	t.Parallel()
	const (
		authID = "MAREALLOOKINGAUTHID1"
		token  = "s3cr3t-token-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	)
	forbidden := []string{
		authID, token, base64.StdEncoding.EncodeToString([]byte(authID + ":" + token)),
		testTo, strings.TrimPrefix(testTo, "+"), testTrigger, strings.TrimPrefix(testTrigger, "+"),
		"alice@phone.plivo.com", "%2B14155550100",
	}
	// What a server might echo back: the request's own values (the client
	// cannot know about any others), in several spellings.
	secrets := fmt.Sprintf("id %s token %s b64 %s", authID, token, forbidden[2])
	echo := fmt.Sprintf("bad to %s from %s %s", testTo, testTrigger[1:], secrets)
	echoMember := fmt.Sprintf("no member %s (%s) %s", testSIP, testSIP[4:], secrets)
	// A timeout long enough that a loaded machine never turns a scenario
	// into a timeout; the timeout scenarios set their own.
	creds := func(c *phlo.Config) {
		c.AuthID, c.AuthToken = authID, token
		c.Timeout = 10 * time.Second
		c.MaxAttempts = 2
	}
	type scenario struct {
		name   string
		run    func(t *testing.T) error
		status int // the HTTP status the error must carry, so the scenario is the one tested; 0: any error
	}
	withServer := func(resp phlotest.Response, member bool, more ...phlotest.Response) func(t *testing.T) error {
		return func(t *testing.T) error {
			srv := phlotest.NewServer(phlotest.Config{AuthID: authID, AuthToken: token})
			t.Cleanup(srv.Close)
			srv.Enqueue(resp)
			srv.Enqueue(more...)
			c := newClient(t, srv, func(c *phlo.Config) {
				creds(c)
				if resp.Delay > 0 {
					c.Timeout = 100 * time.Millisecond
				}
			})
			if member {
				_, err := c.UpdateMember(ctxT(t), testNode(), testSIP, phlo.MemberHangup)
				return err
			}
			_, err := c.AddMember(ctxT(t), testNode(), phlo.Call{To: testTo, TriggerSource: testTrigger})
			return err
		}
	}
	scenarios := []scenario{
		{"400 echo", withServer(phlotest.JSONResponse(400, echo), false), 400},
		{"500 text echo", withServer(phlotest.Response{Status: 500, Body: echo}, false), 500},
		{"429 echo", func(t *testing.T) error {
			// Twice: creds allows two attempts.
			r := phlotest.Response{Status: 429, Body: echo, Header: http.Header{"Retry-After": {"0"}}}
			return withServer(r, false, r)(t)
		}, 429},
		{"3xx echo", withServer(phlotest.Response{Status: 307, Body: echo}, false), 307},
		{"403 ApiID/Error echo", withServer(phlotest.Response{Status: 403, Body: `{"ApiID":"` + testTo + `","Error":"` + echo + `"}`}, false), 403},
		{"api_id echo", withServer(phlotest.Response{Status: 404, Body: `{"api_id":"` + testTo + `"}`}, false), 404},
		{"member 404 echo", withServer(phlotest.JSONResponse(404, echoMember), true), 404},
		{name: "timeout", run: withServer(phlotest.Response{Status: 201, Delay: time.Minute}, false)},
		{name: "member timeout", run: withServer(phlotest.Response{Status: 201, Delay: time.Minute}, true)},
		{"401 default", func(t *testing.T) error {
			srv := phlotest.NewServer(phlotest.Config{})
			t.Cleanup(srv.Close)
			_, err := newClient(t, srv, creds).AddMember(ctxT(t), testNode(), testCall())
			return err
		}, 401},
		{"connection refused", func(t *testing.T) error {
			srv := phlotest.NewServer(phlotest.Config{})
			srv.Close()
			c := newClient(t, srv, creds)
			_, err := c.UpdateMember(ctxT(t), testNode(), testTo, phlo.MemberHold)
			return err
		}, 0},
		{"cancelled while retrying", func(t *testing.T) error {
			srv := phlotest.NewServer(phlotest.Config{AuthID: authID, AuthToken: token})
			t.Cleanup(srv.Close)
			srv.Enqueue(phlotest.Response{Status: 429, Body: echo, Header: http.Header{"Retry-After": {"60"}}})
			c := newClient(t, srv, func(c *phlo.Config) { creds(c); c.MaxRetryWait = time.Minute })
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()
			_, err := c.AddMember(ctx, testNode(), testCall())
			return err
		}, 0},
		{"invalid request", func(t *testing.T) error {
			srv := phlotest.NewServer(phlotest.Config{})
			t.Cleanup(srv.Close)
			_, err := newClient(t, srv, creds).AddMember(ctxT(t), testNode(), phlo.Call{To: testTo, Role: "x", TriggerSource: testTrigger})
			return err
		}, 0},
		{"config", func(t *testing.T) error {
			_, err := phlo.New(phlo.Config{BaseURL: "https://" + authID + ":" + token + "@example.com", AuthID: authID, AuthToken: token})
			return err
		}, 0},
		{"config parse", func(t *testing.T) error {
			_, err := phlo.New(phlo.Config{BaseURL: "https://" + token + "@exa mple.com/%zz", AuthID: authID, AuthToken: token})
			return err
		}, 0},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			err := sc.run(t)
			if err == nil {
				t.Fatal("no error")
			}
			var ae *phlo.APIError
			if sc.status != 0 && (!errors.As(err, &ae) || ae.StatusCode != sc.status) {
				t.Fatalf("error %v, want Plivo's HTTP %d", err, sc.status)
			}
			for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
				s := fmt.Sprintf(format, err)
				for _, f := range forbidden {
					if strings.Contains(s, f) {
						t.Errorf("%s of error contains %q: %s", format, f, s)
					}
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
