package conference_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/mpc-bot/mpc-bot/conference"
	"github.com/mpc-bot/mpc-bot/conference/conferencetest"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

func TestAddDialsEachPartyAndRecordsIt(t *testing.T) {
	w := newWorld(t)
	es := w.add(carol, number(t, "+1 415 555 0100"), conference.UserTarget(alice), conference.UserTarget(bob))
	ann := conferencetest.Of(es, "announce")
	if len(ann) != 1 || len(ann[0].Announce.Parties) != 3 || ann[0].Announce.Bridge.Name != conference.DefaultBridge {
		t.Fatalf("announcement %+v", ann)
	}
	outs := outcomes(es)
	if len(outs) != 3 {
		t.Fatalf("outcomes %+v", outs)
	}
	for _, o := range outs {
		if !o.Outcome.Accepted() || o.Outcome.APIID == "" {
			t.Errorf("outcome %+v", o)
		}
	}
	reqs := w.phlo.Requests()
	got := map[string]phlotest.Request{}
	for _, r := range reqs {
		got[r.To] = r
	}
	for _, to := range []string{"+14155550100", aliceNumber, bobNumber} {
		r, ok := got[to]
		if !ok || r.Action != "call" || r.Role != "agent" || r.TriggerSource != carolNumber || r.NodeID != phlotest.DefaultNodeID {
			t.Errorf("PHLO request to %s: %+v", to, r)
		}
	}
	entries := w.entries()
	if len(entries) != 3 {
		t.Fatalf("audit trail %+v", entries)
	}
	for _, e := range entries {
		if e.Status != conference.StatusAccepted || e.By.User != carol || e.Bridge != conference.DefaultBridge || e.Verb != conference.VerbCall || e.APIID == "" {
			t.Errorf("entry %+v", e)
		}
	}
}

func TestAddNamesWhoCannotBeDialledAndDialsTheRest(t *testing.T) {
	w := newWorld(t)
	es := w.add(carol, conference.Target{Group: "S0DBAS"}, conference.UserTarget(outsider), number(t, "+1 415 555 0100 x12"))
	ann := conferencetest.Of(es, "announce")[0].Announce
	if len(ann.Parties) != 2 {
		t.Errorf("parties %+v, want alice and bob", ann.Parties)
	}
	var noNumber, external, extension bool
	for _, u := range ann.Unreachable {
		var na *conference.NoAddressError
		var ext *conference.ExtensionError
		switch {
		case errors.As(u.Err, &na) && na.External:
			external = u.Target.User == outsider
		case errors.As(u.Err, &na):
			noNumber = u.Target.User == nobody
		case errors.As(u.Err, &ext):
			extension = ext.Extension == "12" && ext.Main.String() == "+14155550100"
		}
	}
	if !noNumber || !external || !extension {
		t.Errorf("unreachable %+v", ann.Unreachable)
	}
}

func TestRefusals(t *testing.T) {
	t.Run("nobody to dial names each target and its rule", func(t *testing.T) {
		w := newWorld(t, func(c *conference.Config) {
			c.Policy, _ = conference.NewPolicy(conference.PolicyConfig{Destinations: []string{"+44"}})
		})
		es := w.add(carol, number(t, "+1 900 555 0123"), number(t, "+1 415 555 0100"))
		var nd *conference.NobodyToDialError
		if !errors.As(refusal(es), &nd) || len(nd.Unreachable) != 2 {
			t.Fatalf("refusal %v", refusal(es))
		}
		rules := map[string]conference.Rule{}
		for _, u := range nd.Unreachable {
			d, _ := conference.AsDenial(u.Err)
			rules[u.Target.Address.String()] = d.Rule
		}
		if rules["+19005550123"] != conference.RulePremiumRate || rules["+14155550100"] != conference.RuleDestination {
			t.Errorf("rules %v", rules)
		}
		if n := len(w.phlo.Requests()); n != 0 {
			t.Errorf("%d PHLO requests", n)
		}
		denied := 0
		for _, e := range w.entries() {
			if e.Status == conference.StatusDenied && e.To != "" {
				denied++
			}
		}
		if denied != 2 {
			t.Errorf("%d denials recorded, want 2", denied)
		}
	})
	t.Run("requester allow-lists", func(t *testing.T) {
		w := newWorld(t, func(c *conference.Config) {
			c.Policy, _ = conference.NewPolicy(conference.PolicyConfig{Channels: []string{"C0OTHER"}})
		})
		d, ok := conference.AsDenial(refusal(w.add(carol, number(t, "+14155550100"))))
		if !ok || d.Rule != conference.RuleChannel {
			t.Errorf("channel rule: %v", d)
		}
		w2 := newWorld(t, func(c *conference.Config) {
			c.Policy, _ = conference.NewPolicy(conference.PolicyConfig{UserGroups: []string{"S0MISSING"}})
		})
		d, ok = conference.AsDenial(refusal(w2.add(carol, number(t, "+14155550100"))))
		if !ok || d.Rule != conference.RuleGroupsCheck {
			t.Errorf("an unreadable group must refuse: %v", d)
		}
		w3 := newWorld(t, func(c *conference.Config) {
			c.Policy, _ = conference.NewPolicy(conference.PolicyConfig{UserGroups: []string{"S0DBAS"}})
		})
		d, ok = conference.AsDenial(refusal(w3.add(carol, number(t, "+14155550100"))))
		if !ok || d.Rule != conference.RuleUser || d.Allowed[0] != conference.AllowedGroups {
			t.Errorf("user rule: %v", d)
		}
		if es := w3.add(alice, number(t, "+14155550100")); len(outcomes(es)) != 1 {
			t.Errorf("a group member was refused: %+v", es)
		}
	})
	t.Run("the caller's own number", func(t *testing.T) {
		w := newWorld(t)
		var cu *conference.CallerUnknownError
		if err := refusal(w.add(nobody, number(t, "+14155550100"))); !errors.As(err, &cu) || cu.User != nobody {
			t.Errorf("no number: %v", err)
		}
		if !errors.As(refusal(w.add(outsider, number(t, "+14155550100"))), &cu) || !cu.External {
			t.Error("a person from another organisation must be told so")
		}
		// A profile number with an extension still places calls, from the
		// main number.
		w.add("U0EXT", number(t, "+14155550100"))
		if rs := w.phlo.Requests(); len(rs) != 1 || rs[0].TriggerSource != "+14155550177" {
			t.Errorf("PHLO requests %+v, want one from +14155550177", rs)
		}
	})
	t.Run("too many people", func(t *testing.T) {
		w := newWorld(t)
		var targets []conference.Target
		for i := range 21 {
			targets = append(targets, number(t, fmt.Sprintf("+1415555%02d00", i)))
		}
		var tm *conference.TooManyPeopleError
		if err := refusal(w.add(carol, targets...)); !errors.As(err, &tm) || tm.Count != 21 {
			t.Errorf("refusal %v", err)
		}
	})
}

func TestBridgeChoice(t *testing.T) {
	w := newWorld(t)
	req := func(ch, bridge string) conference.Request {
		return conference.Request{Kind: conference.KindAdd, By: person(carol), Place: conference.Place{Team: team, Channel: ch},
			Targets: []conference.Target{number(t, "+14155550100")}, Bridge: bridge}
	}
	nodeOf := func(es []conferencetest.Event) string {
		t.Helper()
		outs := outcomes(es)
		if len(outs) != 1 {
			t.Fatalf("events %+v", es)
		}
		return outs[0].Bridge.Name
	}
	if b := nodeOf(w.run(req(channel, ""))); b != conference.DefaultBridge {
		t.Errorf("default: %s", b)
	}
	if b := nodeOf(w.run(req("C0DBS", ""))); b != "dbs" {
		t.Errorf("the bridges file's channel: %s", b)
	}
	if b := nodeOf(w.run(req(channel, "dbs"))); b != "dbs" {
		t.Errorf("named in the request: %s", b)
	}
	if _, _, err := w.svc.Bind(w.ctx(), person(carol), place(), "dbs"); err != nil {
		t.Fatal(err)
	}
	if b := nodeOf(w.run(req(channel, ""))); b != "dbs" {
		t.Errorf("bound: %s", b)
	}
	var ub *conference.UnknownBridgeError
	if !errors.As(refusal(w.run(req(channel, "nope"))), &ub) || len(ub.Known) != 2 {
		t.Errorf("unknown bridge: %v", ub)
	}
	if _, _, err := w.svc.Bind(w.ctx(), person(carol), place(), "nope"); !errors.As(err, &ub) {
		t.Errorf("bind to an unknown bridge: %v", err)
	}
	if _, src, err := w.svc.Bind(w.ctx(), person(carol), place(), conference.NoBridge); err != nil || src != conference.BoundByDefault {
		t.Errorf("unbind: %v %v", src, err)
	}
	// The requests reached the node each bridge names.
	nodes := map[string]int{}
	for _, r := range w.phlo.Requests() {
		nodes[r.NodeID]++
	}
	if nodes[dbsNode] != 3 || nodes[phlotest.DefaultNodeID] != 1 {
		t.Errorf("requests per node %v", nodes)
	}
	var binds int
	for _, e := range w.entries() {
		if e.Verb == conference.VerbBind {
			binds++
		}
	}
	if binds != 2 {
		t.Errorf("%d bindings audited, want 2", binds)
	}
}

func TestDuplicateKeyActsOnce(t *testing.T) {
	w := newWorld(t)
	req := conference.Request{Key: "envelope:E1", Kind: conference.KindAdd, By: person(carol), Place: place(), Targets: []conference.Target{number(t, "+14155550100")}}
	rec, err := w.svc.Submit(w.ctx(), req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Submit(w.ctx(), req); !errors.Is(err, conference.ErrDuplicate) {
		t.Errorf("second Submit: %v, want ErrDuplicate", err)
	}
	if _, err := w.rec.WaitDone(w.ctx(), rec.Request.ID); err != nil {
		t.Fatal(err)
	}
	if n := len(w.phlo.Requests()); n != 1 {
		t.Errorf("%d PHLO requests", n)
	}
}

// TestEnqueueThenAwaitIsSubmit: requests expected, enqueued one after the
// other and awaited later, in order, are answered as Submit answers them:
// a repeated key within them is a duplicate, and each request runs once.
func TestEnqueueThenAwaitIsSubmit(t *testing.T) {
	w := newWorld(t)
	reqs := []conference.Request{
		{Key: "envelope:E1", Kind: conference.KindAdd, By: person(carol), Place: place(), Targets: []conference.Target{number(t, "+14155550100")}},
		{Key: "envelope:E2", Kind: conference.KindAdd, By: person(carol), Place: place(), Targets: []conference.Target{number(t, "+14155550101")}},
		{Key: "envelope:E1", Kind: conference.KindAdd, By: person(carol), Place: place(), Targets: []conference.Target{number(t, "+14155550100")}},
	}
	var pending []conference.Pending
	for _, r := range reqs {
		pending = append(pending, w.svc.Expect().Enqueue(w.ctx(), r))
	}
	var ids []string
	for i, p := range pending {
		rec, err := w.svc.Await(w.ctx(), p)
		switch {
		case i == 2:
			if !errors.Is(err, conference.ErrDuplicate) {
				t.Errorf("request %d, a repeated key: %v, want ErrDuplicate", i, err)
			}
		case err != nil:
			t.Fatalf("request %d: %v", i, err)
		case rec.Request.Key != reqs[i].Key || rec.Request.ID == "":
			t.Errorf("request %d answered with %+v", i, rec.Request)
		default:
			ids = append(ids, rec.Request.ID)
		}
	}
	for _, id := range ids {
		if _, err := w.rec.WaitDone(w.ctx(), id); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(w.phlo.Requests()); n != 2 {
		t.Errorf("%d PHLO requests, want 2", n)
	}
}
