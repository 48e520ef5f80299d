package conference_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/address"
	"github.com/mpc-bot/mpc-bot/conference"
	"github.com/mpc-bot/mpc-bot/conference/conferencetest"
	"github.com/mpc-bot/mpc-bot/phlo"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
	"github.com/mpc-bot/mpc-bot/store"
	"github.com/mpc-bot/mpc-bot/store/storetest"
)

// The service is tested with no Slack at all: real store (SQLite), real
// PHLO client against the fake PHLO runner, a recording Replies, and
// directory, profiles and groups answered from maps.
const (
	team     = "T1"
	channel  = "C1"
	carol    = "U0CAROL" // asks; in the directory
	dave     = "U0DAVE"  // asks; number only in his profile
	alice    = "U0ALICE" // is dialled; in the directory
	bob      = "U0BOB"   // is dialled; in his profile
	nobody   = "U0NOBODY"
	outsider = "U0OUTSIDE" // from another organisation
	dbsPhlo  = "11111111-2222-3333-4444-555555555555"
	dbsNode  = "66666666-7777-8888-9999-000000000000"
)

const (
	carolNumber = "+14155550199"
	daveNumber  = "+14155550198"
	aliceNumber = "+14155550101"
	bobNumber   = "+442079460000"
)

type directory map[string]string

func (d directory) Lookup(user string) (address.Address, bool) {
	s, ok := d[user]
	if !ok {
		return address.Address{}, false
	}
	a, err := address.Parse(s, "US")
	return a, err == nil
}

type profiles struct {
	mu    sync.Mutex
	by    map[string]conference.Profile
	calls int
}

func (p *profiles) Profile(_ context.Context, _, user string) (conference.Profile, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	prof, ok := p.by[user]
	if !ok {
		return conference.Profile{}, errors.New("user_not_found")
	}
	return prof, nil
}

type groups map[string][]string

func (g groups) Members(_ context.Context, _, group string) ([]string, error) {
	m, ok := g[group]
	if !ok {
		return nil, errors.New("no_such_subteam")
	}
	return m, nil
}

// world is one service and its peers.
type world struct {
	t        *testing.T
	clock    *conferencetest.Clock
	store    *store.Store
	phlo     *phlotest.Server
	rec      *conferencetest.Replies
	svc      *conference.Service
	cfg      conference.Config
	profiles *profiles
	stop     func()
}

func newWorld(t *testing.T, tune ...func(*conference.Config)) *world {
	t.Helper()
	w := &world{t: t, clock: conferencetest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)), rec: conferencetest.NewReplies()}
	w.phlo = phlotest.NewServer(phlotest.Config{Nodes: []phlotest.Node{{PhloID: dbsPhlo, NodeID: dbsNode}}})
	t.Cleanup(w.phlo.Close)
	w.store = storetest.Open(t, store.Config{Path: t.TempDir() + "/mpc.db", Now: w.clock.Now})
	pc, err := phlo.New(phlo.Config{BaseURL: w.phlo.URL(), AuthID: phlotest.DefaultAuthID, AuthToken: phlotest.DefaultAuthToken, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	bridges, err := conference.NewBridges(
		conference.Bridge{Name: conference.DefaultBridge, PhloID: phlotest.DefaultPhloID, NodeID: phlotest.DefaultNodeID},
		conference.Bridge{Name: "dbs", PhloID: dbsPhlo, NodeID: dbsNode, Description: "database incidents", Channels: []string{"C0DBS"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	w.profiles = &profiles{by: map[string]conference.Profile{
		dave:     {Name: "dave", Phone: daveNumber},
		bob:      {Name: "bob", Phone: bobNumber},
		nobody:   {Name: "nobody"},
		outsider: {External: true},
		"U0EXT":  {Name: "ext", Phone: "+1 415 555 0177 x12"},
	}}
	w.cfg = conference.Config{
		Store: w.store, Calls: &phlo.Switchboard{Client: pc}, Bridges: bridges,
		Directory: directory{carol: carolNumber, alice: aliceNumber},
		Profiles:  w.profiles, Groups: groups{"S0DBAS": {alice, bob, nobody}},
		Clock: w.clock, DefaultRegion: "US", Instance: "i-test",
	}
	for _, f := range tune {
		f(&w.cfg)
	}
	w.svc, w.stop = w.start(w.cfg)
	return w
}

// start runs a service with cfg; the returned func stops it and waits.
func (w *world) start(cfg conference.Config) (*conference.Service, func()) {
	w.t.Helper()
	svc, err := conference.New(cfg)
	if err != nil {
		w.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx, w.rec) }()
	select {
	case <-svc.Started():
	case err := <-done:
		w.t.Fatalf("Run: %v", err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				w.t.Errorf("Run: %v", err)
			}
		})
	}
	w.t.Cleanup(stop)
	return svc, stop
}

func (w *world) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	w.t.Cleanup(cancel)
	return ctx
}

// add submits an add by who in the world's channel and waits until it is
// done, returning what was reported.
func (w *world) add(who string, targets ...conference.Target) []conferencetest.Event {
	w.t.Helper()
	return w.run(conference.Request{Kind: conference.KindAdd, By: person(who), Place: place(), Targets: targets})
}

// run submits req and waits until it is done.
func (w *world) run(req conference.Request) []conferencetest.Event {
	w.t.Helper()
	rec, err := w.svc.Submit(w.ctx(), req)
	if err != nil {
		w.t.Fatalf("Submit: %v", err)
	}
	es, err := w.rec.WaitDone(w.ctx(), rec.Request.ID)
	if err != nil {
		w.t.Fatalf("request %s: %v; events %+v", rec.Request.ID, err, es)
	}
	return es
}

func person(user string) conference.Person { return conference.Person{Team: team, User: user} }
func place() conference.Place              { return conference.Place{Team: team, Channel: channel} }

func number(t *testing.T, s string) conference.Target {
	t.Helper()
	a, err := address.Parse(s, "US")
	if err != nil {
		t.Fatal(err)
	}
	return conference.NumberTarget(a)
}

func outcomes(es []conferencetest.Event) []conference.PartyOutcome {
	var out []conference.PartyOutcome
	for _, e := range conferencetest.Of(es, "outcome") {
		out = append(out, e.Outcome)
	}
	return out
}

// refusal is the error a request was refused with, or nil.
func refusal(es []conferencetest.Event) error {
	if r := conferencetest.Of(es, "refused"); len(r) == 1 {
		return r[0].Err
	}
	return nil
}

// entries are the audit trail of the world's channel, newest first.
func (w *world) entries() []conference.Entry {
	w.t.Helper()
	es, err := w.store.Entries(w.ctx(), conference.EntryQuery{Team: team, Limit: 100})
	if err != nil {
		w.t.Fatal(err)
	}
	return es
}
