package phlo_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/mpc-bot/mpc-bot/phlo"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

func TestAddMemberSuccess201(t *testing.T) {
	t.Parallel()
	c, srv := newPair(t, nil)
	res, err := c.AddMember(ctxT(t), testNode(), testCall())
	if err != nil {
		t.Fatalf("AddMember: %v", err)
	}
	reqs := wantRequests(t, srv, 1)
	r := reqs[0]
	sc := srv.Config()
	if res.StatusCode != http.StatusCreated || res.Attempts != 1 || res.APIID == "" || res.APIID != r.APIID {
		t.Errorf("result = %+v, server api_id %q", res, r.APIID)
	}
	if r.Method != http.MethodPost {
		t.Errorf("method = %q", r.Method)
	}
	if want := "/v1/phlo/" + sc.PhloID + "/multi_party_call/" + sc.NodeID; r.Path != want {
		t.Errorf("path = %q, want %q", r.Path, want)
	}
	if !r.AuthOK {
		t.Error("server rejected auth")
	}
	wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte(sc.AuthID+":"+sc.AuthToken))
	for h, want := range map[string]string{
		"Content-Type":  "application/json",
		"Accept":        "application/json",
		"User-Agent":    "mpc-bot",
		"Authorization": wantAuth,
	} {
		if got := r.Header.Values(h); len(got) != 1 || got[0] != want {
			t.Errorf("header %s = %q, want %q", h, got, want)
		}
	}
	wantBody := `{"action":"call","to":"+14155550100","role":"agent","trigger_source":"+14155550199"}`
	if string(r.RawBody) != wantBody {
		t.Errorf("body = %s\nwant   %s", r.RawBody, wantBody)
	}
	if r.Action != "call" || r.To != testTo || r.Role != "agent" || r.TriggerSource != testTrigger {
		t.Errorf("parsed body = %+v", r)
	}
}

func TestAddMemberSuccess200(t *testing.T) {
	t.Parallel()
	c, srv := newPair(t, nil)
	srv.Enqueue(phlotest.JSONResponse(http.StatusOK, ""))
	res, err := c.AddMember(ctxT(t), testNode(), testCall())
	if err != nil {
		t.Fatalf("AddMember: %v", err)
	}
	r := wantRequests(t, srv, 1)[0]
	if res.StatusCode != http.StatusOK || res.APIID != r.APIID || res.APIID == "" {
		t.Errorf("result = %+v, server api_id %q", res, r.APIID)
	}
}

func TestDefaultRoleIsAgent(t *testing.T) {
	t.Parallel()
	c, srv := newPair(t, nil)
	if _, err := c.AddMember(ctxT(t), testNode(), phlo.Call{To: testTo, TriggerSource: testTrigger}); err != nil {
		t.Fatal(err)
	}
	if r := wantRequests(t, srv, 1)[0]; r.Role != "agent" {
		t.Errorf("role = %q", r.Role)
	}
}

func TestTransfers(t *testing.T) {
	t.Parallel()
	c, srv := newPair(t, nil)
	call := phlo.Call{To: testSIP, Role: phlo.RoleCustomer, TriggerSource: testTrigger}
	if _, err := c.WarmTransfer(ctxT(t), testNode(), call); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ColdTransfer(ctxT(t), testNode(), call); err != nil {
		t.Fatal(err)
	}
	if _, err := c.NodeAction(ctxT(t), testNode(), phlo.ActionCall, call); err != nil {
		t.Fatal(err)
	}
	reqs := wantRequests(t, srv, 3)
	for i, want := range []string{"warm_transfer", "cold_transfer", "call"} {
		wantBody := `{"action":"` + want + `","to":"sip:alice@phone.plivo.com","role":"customer","trigger_source":"+14155550199"}`
		if string(reqs[i].RawBody) != wantBody || reqs[i].Status != http.StatusCreated {
			t.Errorf("request %d: status %d body %s, want %s", i, reqs[i].Status, reqs[i].RawBody, wantBody)
		}
		if reqs[i].Path != reqs[0].Path || reqs[i].MemberAddress != "" {
			t.Errorf("request %d path = %q", i, reqs[i].Path)
		}
	}
}

func TestMemberActionsAndEscaping(t *testing.T) {
	t.Parallel()
	c, srv := newPair(t, nil)
	sc := srv.Config()
	node := "/v1/phlo/" + sc.PhloID + "/multi_party_call/" + sc.NodeID
	cases := []struct{ addr, wirePath string }{
		{testTo, node + "/members/+14155550100"},
		{testSIP, node + "/members/sip:alice@phone.plivo.com"},
		{"a b/c?d#e%f", node + "/members/a%20b%2Fc%3Fd%23e%25f"},
	}
	actions := []phlo.MemberAction{
		phlo.MemberHold, phlo.MemberUnhold, phlo.MemberHangup,
		phlo.MemberResumeCall, phlo.MemberAbortTransfer, phlo.MemberVoicemailDrop,
	}
	n := 0
	for _, tc := range cases {
		for _, a := range actions {
			res, err := c.UpdateMember(ctxT(t), testNode(), tc.addr, a)
			if err != nil {
				t.Fatalf("UpdateMember(%q, %s): %v", tc.addr, a, err)
			}
			r := srv.Requests()[n]
			n++
			if r.Path != tc.wirePath || r.MemberAddress != tc.addr {
				t.Errorf("%s %q: path %q member %q, want %q", a, tc.addr, r.Path, r.MemberAddress, tc.wirePath)
			}
			if want := `{"action":"` + string(a) + `"}`; string(r.RawBody) != want {
				t.Errorf("body = %s, want %s", r.RawBody, want)
			}
			if res.StatusCode != http.StatusCreated || res.APIID != r.APIID {
				t.Errorf("result %+v vs server %q", res, r.APIID)
			}
		}
	}
	wantRequests(t, srv, n)
}

func TestInvalidCallsSendNothing(t *testing.T) {
	t.Parallel()
	c, srv := newPair(t, nil)
	ctx := ctxT(t)
	calls := []func() error{
		func() error {
			_, err := c.AddMember(ctx, testNode(), phlo.Call{TriggerSource: testTrigger})
			return err
		},
		func() error { _, err := c.AddMember(ctx, testNode(), phlo.Call{To: testTo}); return err },
		func() error {
			_, err := c.AddMember(ctx, testNode(), phlo.Call{To: testTo, TriggerSource: testTrigger, Role: "boss"})
			return err
		},
		func() error { _, err := c.NodeAction(ctx, testNode(), "dance", testCall()); return err },
		func() error { _, err := c.UpdateMember(ctx, testNode(), "", phlo.MemberHold); return err },
		func() error { _, err := c.UpdateMember(ctx, testNode(), "..", phlo.MemberHold); return err },
		func() error { _, err := c.UpdateMember(ctx, testNode(), testTo, "mute"); return err },
		func() error { _, err := c.AddMember(ctx, phlo.Node{NodeID: "n"}, testCall()); return err },
		func() error { _, err := c.AddMember(ctx, phlo.Node{PhloID: "p"}, testCall()); return err },
		func() error { _, err := c.AddMember(ctx, phlo.Node{PhloID: " ", NodeID: "n"}, testCall()); return err },
		func() error {
			_, err := c.WarmTransfer(ctx, phlo.Node{PhloID: "..", NodeID: "n"}, testCall())
			return err
		},
		func() error {
			_, err := c.ColdTransfer(ctx, phlo.Node{PhloID: "p", NodeID: "."}, testCall())
			return err
		},
		func() error { _, err := c.UpdateMember(ctx, phlo.Node{}, testTo, phlo.MemberHold); return err },
		func() error {
			_, err := c.UpdateMember(ctx, phlo.Node{PhloID: "p", NodeID: ".."}, testTo, phlo.MemberHold)
			return err
		},
	}
	for i, f := range calls {
		err := f()
		if !errors.Is(err, phlo.ErrInvalidRequest) {
			t.Errorf("case %d: err = %v, want ErrInvalidRequest", i, err)
		}
		if phlo.OutcomeUnknown(err) {
			t.Errorf("case %d: OutcomeUnknown", i)
		}
	}
	wantRequests(t, srv, 0)
}

func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	c, srv := newPair(t, nil)
	ctx := ctxT(t)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := c.AddMember(ctx, testNode(), testCall())
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	wantRequests(t, srv, 20)
}

func TestRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	c, srv := newPair(t, nil)
	srv.Enqueue(phlotest.Response{
		Status: http.StatusTemporaryRedirect,
		Header: http.Header{"Location": {srv.URL() + "/elsewhere"}},
	})
	_, err := c.AddMember(ctxT(t), testNode(), testCall())
	ae := mustAPIError(t, err)
	if ae.StatusCode != http.StatusTemporaryRedirect || phlo.OutcomeUnknown(err) {
		t.Errorf("err = %v", err)
	}
	wantRequests(t, srv, 1)
}

func TestParseRoleAndMemberAction(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]phlo.Role{"agent": phlo.RoleAgent, " Customer ": phlo.RoleCustomer, "AGENT": phlo.RoleAgent} {
		if got, err := phlo.ParseRole(in); err != nil || got != want {
			t.Errorf("ParseRole(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "boss", "+14155550100"} {
		_, err := phlo.ParseRole(in)
		if err == nil {
			t.Errorf("ParseRole(%q) succeeded", in)
		} else if in != "" && strings.Contains(err.Error(), in) {
			t.Errorf("ParseRole error echoes input: %v", err)
		}
	}
	if a, err := phlo.ParseMemberAction("Resume-Call"); err != nil || a != phlo.MemberResumeCall {
		t.Errorf("ParseMemberAction = %q, %v", a, err)
	}
	if _, err := phlo.ParseMemberAction("mute"); err == nil {
		t.Error("ParseMemberAction(mute) succeeded")
	}
}
