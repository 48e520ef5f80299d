package conference_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/mpc-bot/mpc-bot/address"
	"github.com/mpc-bot/mpc-bot/conference"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

func TestRegisterRefusesWhatNoRuleWouldDial(t *testing.T) {
	w := newWorld(t)
	premium, _ := address.Parse("+1 900 555 0123", "US")
	if _, err := w.svc.Register(w.ctx(), person(nobody), premium); err == nil {
		t.Error("a premium-rate number was registered")
	} else if d, ok := conference.AsDenial(err); !ok || d.Rule != conference.RulePremiumRate {
		t.Errorf("refusal %v", err)
	}
	if _, err := address.Parse("911", "US"); err == nil {
		t.Error("an emergency number parses")
	}
	withExt, _ := address.Parse("+1 415 555 0100 ext. 12", "US")
	got, err := w.svc.Register(w.ctx(), person(nobody), withExt)
	if err != nil || got.String() != "+14155550100" || got.Extension() != "" {
		t.Fatalf("register with an extension: %v %v", got, err)
	}
	n, err := w.svc.Whoami(w.ctx(), person(nobody))
	if err != nil || n.Source != conference.FromRegistered || n.Address.String() != "+14155550100" {
		t.Errorf("whoami %+v %v", n, err)
	}
	// An org-wide user registers once for every workspace of the org.
	org := conference.Person{Team: "T1", Enterprise: "E1", User: "W0ORG"}
	if _, err := w.svc.Register(w.ctx(), org, withExt); err != nil {
		t.Fatal(err)
	}
	elsewhere := conference.Person{Team: "T2", Enterprise: "E1", User: "W0ORG"}
	if n, err := w.svc.Whoami(w.ctx(), elsewhere); err != nil || n.Source != conference.FromRegistered {
		t.Errorf("the org-wide registration in another workspace: %+v %v", n, err)
	}
	if existed, err := w.svc.Unregister(w.ctx(), elsewhere); err != nil || !existed {
		t.Errorf("unregister: %v %v", existed, err)
	}
	var cu *conference.CallerUnknownError
	if _, err := w.svc.Whoami(w.ctx(), org); !errors.As(err, &cu) {
		t.Errorf("after unregistering anywhere in the org: %v", err)
	}
}

func TestRetryIsThePressersAndObeysTheRules(t *testing.T) {
	w := newWorld(t)
	w.phlo.Enqueue(phlotest.Response{Status: http.StatusInternalServerError, Body: `{"api_id":"x","error":"boom"}`})
	es := w.add(carol, number(t, "+14155550100"))
	first := outcomes(es)[0]
	if first.Outcome.Status != conference.StatusUnknown || first.Outcome.Cause != conference.CauseServerError {
		t.Fatalf("first outcome %+v", first.Outcome)
	}
	es = w.run(conference.Request{Kind: conference.KindRetryEntry, Of: first.Entry.ID, Try: 1, By: person(dave), Place: place()})
	o := outcomes(es)
	reqs := w.phlo.Requests()
	if len(o) != 1 || !o[0].Outcome.Accepted() || len(reqs) != 2 || reqs[1].To != "+14155550100" || reqs[1].TriggerSource != daveNumber {
		t.Fatalf("retry %+v; PHLO %+v", es, reqs)
	}
	e, err := w.store.FindEntry(w.ctx(), o[0].Entry.ID)
	if err != nil || e.By.User != dave {
		t.Errorf("the retry is credited to %q, want the presser: %v", e.By.User, err)
	}

	// A replica with stricter rules refuses the same retry.
	strict := w.cfg
	strict.Instance = "i-strict"
	strict.Policy, _ = conference.NewPolicy(conference.PolicyConfig{Destinations: []string{"+44"}})
	svc2, stop := w.start(strict)
	defer stop()
	rec, err := svc2.Submit(w.ctx(), conference.Request{Kind: conference.KindRetryEntry, Of: first.Entry.ID, Try: 2, By: person(dave), Place: place()})
	if err != nil {
		t.Fatal(err)
	}
	es, _ = w.rec.WaitDone(w.ctx(), rec.Request.ID)
	var nd *conference.NobodyToDialError
	if !errors.As(refusal(es), &nd) {
		t.Errorf("retry under a destination rule: %+v", es)
	}
}

func TestHistoryReadsLikeSentences(t *testing.T) {
	w := newWorld(t)
	w.phlo.Enqueue(phlotest.Response{Status: http.StatusUnauthorized, Body: `{"api_id":"x","error":"bad creds"}`})
	w.add(carol, number(t, "+14155550100"))
	w.add(carol, number(t, "+19005550123"))
	es, err := w.svc.History(w.ctx(), place(), 10)
	if err != nil || len(es) != 2 {
		t.Fatalf("history %+v %v", es, err)
	}
	var failed, denied conference.Entry
	for _, e := range es {
		switch e.Status {
		case conference.StatusFailed:
			failed = e
		case conference.StatusDenied:
			denied = e
		}
	}
	if failed.Detail != "Plivo rejected mpc-bot's credentials (HTTP 401). Plivo said: bad creds" || failed.Cause != conference.CauseCredentials {
		t.Errorf("failed entry detail %q", failed.Detail)
	}
	if denied.Rule != conference.RulePremiumRate || denied.Detail != "refused by rule premium_rate" {
		t.Errorf("denied entry %+v", denied)
	}
}
