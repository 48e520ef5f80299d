package conferencetest

import (
	"context"
	"fmt"
	"sync"

	"github.com/mpc-bot/mpc-bot/conference"
)

// Event is one thing the service reported about a request.
type Event struct {
	Kind        string // waiting, announce, outcome, refused, interrupted, done
	Request     conference.Request
	Wait        conference.Wait
	Announce    conference.Announcement
	Outcome     conference.PartyOutcome
	Err         error
	Interrupted conference.Interruption
}

// Replies is a conference.Replies that records every report, per request,
// and lets a test wait for a request to be done.
type Replies struct {
	mu      sync.Mutex
	events  map[string][]Event // request ID → events
	changed chan struct{}
}

// NewReplies returns an empty recorder.
func NewReplies() *Replies {
	return &Replies{events: map[string][]Event{}, changed: make(chan struct{})}
}

// For implements conference.Replies.
func (r *Replies) For(req conference.Request) conference.Reporter { return &reporter{r: r, req: req} }

func (r *Replies) add(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events[e.Request.ID] = append(r.events[e.Request.ID], e)
	close(r.changed)
	r.changed = make(chan struct{})
}

// Events returns what was reported about request id, in order.
func (r *Replies) Events(id string) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events[id]...)
}

// All returns every request ID reported on, with its events.
func (r *Replies) All() map[string][]Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string][]Event, len(r.events))
	for id, es := range r.events {
		out[id] = append([]Event(nil), es...)
	}
	return out
}

// Wait blocks until cond holds over the recorded events, or ctx ends.
func (r *Replies) Wait(ctx context.Context, cond func(all map[string][]Event) bool) error {
	for {
		r.mu.Lock()
		changed := r.changed
		r.mu.Unlock()
		if cond(r.All()) {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("waiting for reports: %w", ctx.Err())
		}
	}
}

// WaitDone blocks until request id reported Done and returns its events.
func (r *Replies) WaitDone(ctx context.Context, id string) ([]Event, error) {
	err := r.Wait(ctx, func(all map[string][]Event) bool {
		es := all[id]
		return len(es) > 0 && es[len(es)-1].Kind == "done"
	})
	return r.Events(id), err
}

// Of returns the events of kind in es.
func Of(es []Event, kind string) []Event {
	var out []Event
	for _, e := range es {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

type reporter struct {
	r   *Replies
	req conference.Request
}

func (p *reporter) Waiting(_ context.Context, w conference.Wait) {
	p.r.add(Event{Kind: "waiting", Request: p.req, Wait: w})
}

func (p *reporter) Announce(_ context.Context, a conference.Announcement) {
	p.r.add(Event{Kind: "announce", Request: p.req, Announce: a})
}

func (p *reporter) Outcome(_ context.Context, o conference.PartyOutcome) {
	p.r.add(Event{Kind: "outcome", Request: p.req, Outcome: o})
}

func (p *reporter) Refused(_ context.Context, err error) {
	p.r.add(Event{Kind: "refused", Request: p.req, Err: err})
}

func (p *reporter) Interrupted(_ context.Context, i conference.Interruption) {
	p.r.add(Event{Kind: "interrupted", Request: p.req, Interrupted: i})
}

func (p *reporter) Done(context.Context) { p.r.add(Event{Kind: "done", Request: p.req}) }
