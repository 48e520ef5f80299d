package phlo_test

import (
	"context"
	"encoding/base64"
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
			mod:   func(c *phlo.Config) { c.NodeID = "no-such-node" },
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
			_, err := c.AddMember(ctxT(t), testCall())
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
			_, err := c.AddMember(ctxT(t), testCall())
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
		_, err := c.AddMember(ctxT(t), testCall())
		ae := mustAPIError(t, err)
		if len(ae.Message) > 200 || len(ae.Message) < 150 || !utf8.ValidString(ae.Message) {
			t.Errorf("Message is %d bytes, valid UTF-8 %v: %q", len(ae.Message), utf8.ValidString(ae.Message), ae.Message)
		}
	})
	t.Run("invalid UTF-8", func(t *testing.T) {
		t.Parallel()
		c, srv := newPair(t, nil)
		srv.Enqueue(phlotest.Response{Status: 500, Body: "bad \xff\xfe bytes"})
		_, err := c.AddMember(ctxT(t), testCall())
		if ae := mustAPIError(t, err); !utf8.ValidString(ae.Message) {
			t.Errorf("Message not valid UTF-8: %q", ae.Message)
		}
	})
}

func TestMalformedSuccessIsOutcomeUnknown(t *testing.T) {
	t.Parallel()
	for _, body := range []string{"", "not json", "null", "[]", "{}", `{"error":""}`, `{"api_id":"a1","error":"boom"}`, `{"api_id":"a1"`} {
		t.Run(body, func(t *testing.T) {
			t.Parallel()
			c, srv := newPair(t, func(c *phlo.Config) { c.MaxAttempts = 4 })
			srv.Enqueue(phlotest.Response{Status: http.StatusCreated, Body: body})
			_, err := c.AddMember(ctxT(t), testCall())
			ae := mustAPIError(t, err)
			if !ae.UnexpectedSuccess() || ae.StatusCode != 201 || !phlo.OutcomeUnknown(err) || ae.Attempts != 1 {
				t.Errorf("APIError = %+v, OutcomeUnknown %v", ae, phlo.OutcomeUnknown(err))
			}
			if !strings.Contains(err.Error(), "outcome unknown") {
				t.Errorf("Error() = %q", err)
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
			srv.Enqueue(phlotest.Response{Status: status, Body: `{"api_id":"` + strings.Repeat("a", size) + `","error":""}`})
			_, err := c.AddMember(ctxT(t), testCall())
			ae := mustAPIError(t, err)
			if len(ae.Message) > 200 || len(ae.APIID) > 200 {
				t.Errorf("Message %d bytes, APIID %d bytes", len(ae.Message), len(ae.APIID))
			}
			if !phlo.OutcomeUnknown(err) {
				t.Error("OutcomeUnknown = false")
			}
			if n := ct.read.Load(); n > 80<<10 {
				t.Errorf("client read %d bytes of a %d byte body", n, size)
			}
		})
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
	creds := func(c *phlo.Config) {
		c.AuthID, c.AuthToken = authID, token
		c.Timeout = 100 * time.Millisecond
		c.MaxAttempts = 2
	}
	type scenario struct {
		name string
		run  func(t *testing.T) error
	}
	withServer := func(resp phlotest.Response, member bool, more ...phlotest.Response) func(t *testing.T) error {
		return func(t *testing.T) error {
			srv := phlotest.NewServer(phlotest.Config{AuthID: authID, AuthToken: token})
			t.Cleanup(srv.Close)
			srv.Enqueue(resp)
			srv.Enqueue(more...)
			c := newClient(t, srv, creds)
			if member {
				_, err := c.UpdateMember(ctxT(t), testSIP, phlo.MemberHangup)
				return err
			}
			_, err := c.AddMember(ctxT(t), phlo.Call{To: testTo, TriggerSource: testTrigger})
			return err
		}
	}
	scenarios := []scenario{
		{"400 echo", withServer(phlotest.JSONResponse(400, echo), false)},
		{"500 text echo", withServer(phlotest.Response{Status: 500, Body: echo}, false)},
		{"429 echo", func(t *testing.T) error {
			// Twice: creds allows two attempts.
			r := phlotest.Response{Status: 429, Body: echo, Header: http.Header{"Retry-After": {"0"}}}
			return withServer(r, false, r)(t)
		}},
		{"2xx malformed echo", withServer(phlotest.Response{Status: 201, Body: echo}, false)},
		{"2xx error echo", withServer(phlotest.JSONResponse(201, echo), false)},
		{"api_id echo", withServer(phlotest.Response{Status: 404, Body: `{"api_id":"` + testTo + `"}`}, false)},
		{"member 404 echo", withServer(phlotest.JSONResponse(404, echoMember), true)},
		{"timeout", withServer(phlotest.Response{Status: 201, Delay: time.Minute}, false)},
		{"member timeout", withServer(phlotest.Response{Status: 201, Delay: time.Minute}, true)},
		{"401 default", func(t *testing.T) error {
			srv := phlotest.NewServer(phlotest.Config{})
			t.Cleanup(srv.Close)
			_, err := newClient(t, srv, creds).AddMember(ctxT(t), testCall())
			return err
		}},
		{"connection refused", func(t *testing.T) error {
			srv := phlotest.NewServer(phlotest.Config{})
			srv.Close()
			c := newClient(t, srv, creds)
			_, err := c.UpdateMember(ctxT(t), testTo, phlo.MemberHold)
			return err
		}},
		{"cancelled while retrying", func(t *testing.T) error {
			srv := phlotest.NewServer(phlotest.Config{AuthID: authID, AuthToken: token})
			t.Cleanup(srv.Close)
			srv.Enqueue(phlotest.Response{Status: 429, Body: echo, Header: http.Header{"Retry-After": {"60"}}})
			c := newClient(t, srv, func(c *phlo.Config) { creds(c); c.MaxRetryWait = time.Minute })
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()
			_, err := c.AddMember(ctx, testCall())
			return err
		}},
		{"invalid request", func(t *testing.T) error {
			srv := phlotest.NewServer(phlotest.Config{})
			t.Cleanup(srv.Close)
			_, err := newClient(t, srv, creds).AddMember(ctxT(t), phlo.Call{To: testTo, Role: "x", TriggerSource: testTrigger})
			return err
		}},
		{"config", func(t *testing.T) error {
			_, err := phlo.New(phlo.Config{BaseURL: "https://" + authID + ":" + token + "@example.com", AuthID: authID, AuthToken: token})
			return err
		}},
		{"config parse", func(t *testing.T) error {
			_, err := phlo.New(phlo.Config{BaseURL: "https://" + token + "@exa mple.com/%zz", AuthID: authID, AuthToken: token})
			return err
		}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			err := sc.run(t)
			if err == nil {
				t.Fatal("no error")
			}
			for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
				s := fmt.Sprintf(format, err)
				for _, f := range forbidden {
					if strings.Contains(s, f) {
						t.Errorf("%s of error contains %q: %s", format, f, s)
					}
				}
			}
			t.Logf("%v", err)
		})
	}
}

func ptr[T any](v T) *T { return &v }
