package conference_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/mpc-bot/mpc-bot/conference"
	"github.com/mpc-bot/mpc-bot/conference/conferencetest"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

func TestMemberActionsGoToTheMemberOnItsBridge(t *testing.T) {
	w := newWorld(t)
	w.add(carol, conference.UserTarget(alice))
	w.run(conference.Request{Kind: conference.KindAdd, By: person(carol), Place: place(), Bridge: "dbs",
		Targets: []conference.Target{conference.UserTarget(bob), number(t, "sip:eve@example.sip.plivo.com")}})
	es := w.run(conference.Request{Kind: conference.KindMember, Verb: conference.VerbHold, By: person(dave), Place: place(),
		Targets: []conference.Target{conference.UserTarget(alice), conference.UserTarget(bob), number(t, "sip:eve@example.sip.plivo.com"), conference.UserTarget(nobody)}})
	outs := outcomes(es)
	if len(outs) != 3 {
		t.Fatalf("outcomes %+v", es)
	}
	ann := conferencetest.Of(es, "announce")[0].Announce
	var nor *conference.NotOnRosterError
	if len(ann.Unreachable) != 1 || !errors.As(ann.Unreachable[0].Err, &nor) || ann.Unreachable[0].Target.User != nobody {
		t.Errorf("someone this place did not add must be named: %+v", ann.Unreachable)
	}
	holds := map[string]phlotest.Request{}
	for _, r := range w.phlo.Requests() {
		if r.Action == "hold" {
			holds[r.MemberAddress] = r
		}
	}
	for addr, node := range map[string]string{aliceNumber: phlotest.DefaultNodeID, bobNumber: dbsNode, "sip:eve@example.sip.plivo.com": dbsNode} {
		if r, ok := holds[addr]; !ok || r.NodeID != node {
			t.Errorf("hold of %s: %+v (want node %s)", addr, r, node)
		}
	}

	// Nobody this place added: refused, with the reason per target.
	es = w.run(conference.Request{Kind: conference.KindMember, Verb: conference.VerbHangup, By: person(carol), Place: place(),
		Targets: []conference.Target{number(t, "+14155550111")}})
	var nd *conference.NobodyToDialError
	if !errors.As(refusal(es), &nd) || !errors.As(nd.Unreachable[0].Err, &nor) {
		t.Errorf("refusal %v", refusal(es))
	}

	// A member Plivo no longer has: said so.
	w.phlo.Enqueue(phlotest.Response{Status: http.StatusNotFound, Body: `{"api_id":"x","error":"member not found"}`})
	es = w.run(conference.Request{Kind: conference.KindMember, Verb: conference.VerbHangup, By: person(carol), Place: place(),
		Targets: []conference.Target{conference.UserTarget(alice)}})
	if o := outcomes(es)[0].Outcome; o.Status != conference.StatusFailed || o.Cause != conference.CauseNotOnCall {
		t.Errorf("hangup of a member who left: %+v", o)
	}
}

func TestActOnAnEntryAndRoster(t *testing.T) {
	w := newWorld(t)
	w.add(carol, conference.UserTarget(alice))
	w.add(carol, conference.UserTarget(bob))
	w.phlo.Enqueue(phlotest.Response{Status: http.StatusUnauthorized, Body: `{"api_id":"x","error":"auth"}`})
	w.add(dave, number(t, "+14155550100"))
	rows, err := w.svc.Roster(w.ctx(), place())
	if err != nil || len(rows) != 3 {
		t.Fatalf("roster %+v, %v", rows, err)
	}
	var aliceCall, bobCall string
	for _, r := range rows {
		switch r.Party.User {
		case alice:
			aliceCall = r.Call.ID
		case bob:
			bobCall = r.Call.ID
		}
	}
	act := func(verb conference.Verb, entry string) []conferencetest.Event {
		return w.run(conference.Request{Kind: conference.KindAct, Verb: verb, Of: entry, By: person(dave), Place: place()})
	}
	if o := outcomes(act(conference.VerbHold, aliceCall)); len(o) != 1 || !o[0].Outcome.Accepted() {
		t.Fatalf("hold %+v", o)
	}
	act(conference.VerbHangup, bobCall)
	rows, _ = w.svc.Roster(w.ctx(), place())
	states := map[string]conference.PartyState{}
	for _, r := range rows {
		key := r.Party.User
		if key == "" {
			key = r.Party.Address.String()
		}
		states[key] = r.State
		if key == alice && (r.ChangedBy.User != dave || r.AddedBy.User != carol) {
			t.Errorf("alice's row %+v", r)
		}
	}
	want := map[string]conference.PartyState{alice: conference.PartyOnHold, bob: conference.PartyHungUp, "+14155550100": conference.PartyDialFailed}
	for k, v := range want {
		if states[k] != v {
			t.Errorf("roster %v, want %v", states, want)
			break
		}
	}
	// An entry of another workspace is not found.
	es := w.run(conference.Request{Kind: conference.KindAct, Verb: conference.VerbHold, Of: aliceCall, By: person(dave), Place: conference.Place{Team: "T2", Channel: channel}})
	if !errors.Is(refusal(es), conference.ErrNotFound) {
		t.Errorf("act across workspaces: %v", refusal(es))
	}
}

func TestTransfersAndAbort(t *testing.T) {
	w := newWorld(t, func(c *conference.Config) {
		c.Policy, _ = conference.NewPolicy(conference.PolicyConfig{Destinations: []string{"+1"}})
	})
	w.run(conference.Request{Kind: conference.KindAdd, By: person(carol), Place: place(), Bridge: "dbs", Targets: []conference.Target{number(t, "+14155550100")}})
	es := w.run(conference.Request{Kind: conference.KindTransfer, Verb: conference.VerbColdTransfer, By: person(carol), Place: place(),
		Targets: []conference.Target{conference.UserTarget(alice)}})
	if o := outcomes(es); len(o) != 1 || !o[0].Outcome.Accepted() {
		t.Fatalf("transfer %+v", es)
	}
	reqs := w.phlo.Requests()
	tr := reqs[len(reqs)-1]
	// The transfer goes to the bridge this place last added someone
	// through, from the caller's own number.
	if tr.Action != "cold_transfer" || tr.To != aliceNumber || tr.TriggerSource != carolNumber || tr.NodeID != dbsNode {
		t.Errorf("transfer request %+v", tr)
	}
	// The destination rules apply to transfers.
	es = w.run(conference.Request{Kind: conference.KindTransfer, Verb: conference.VerbWarmTransfer, By: person(carol), Place: place(),
		Targets: []conference.Target{conference.UserTarget(bob)}})
	var nd *conference.NobodyToDialError
	if !errors.As(refusal(es), &nd) {
		t.Fatalf("transfer to a +44 number: %v", refusal(es))
	}
	if d, ok := conference.AsDenial(nd.Unreachable[0].Err); !ok || d.Rule != conference.RuleDestination {
		t.Errorf("denial %+v", nd.Unreachable)
	}
	es = w.run(conference.Request{Kind: conference.KindAbortTransfer, By: person(carol), Place: place()})
	reqs = w.phlo.Requests()
	ab := reqs[len(reqs)-1]
	if len(outcomes(es)) != 1 || ab.Action != "abort_transfer" || ab.MemberAddress != carolNumber || ab.NodeID != dbsNode {
		t.Errorf("abort %+v; request %+v", es, ab)
	}
	rows, _ := w.svc.Roster(w.ctx(), place())
	var transferred bool
	for _, r := range rows {
		transferred = transferred || (r.Party.User == alice && r.State == conference.PartyTransferredIn)
	}
	if !transferred {
		t.Errorf("roster %+v lacks the transfer", rows)
	}
}
