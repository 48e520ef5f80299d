package slacktest

import (
	"context"
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"time"
)

// Ack is a Socket Mode acknowledgement frame the client sent.
type Ack struct {
	EnvelopeID string
	Payload    json.RawMessage // nil when the client sent no payload
	At         time.Time
}

// Message is a chat.postMessage call that succeeded.
type Message struct {
	Channel        string
	TS             string
	ThreadTS       string
	Text           string
	Blocks         json.RawMessage
	ReplyBroadcast bool
	// UnknownThread is set when ThreadTS does not name a top-level message the
	// fake knows in Channel (Slack accepts such a post anyway).
	UnknownThread bool
	At            time.Time
}

// Ephemeral is a chat.postEphemeral call that succeeded.
type Ephemeral struct {
	Channel  string
	User     string
	TS       string // the message_ts that was returned
	ThreadTS string
	Text     string
	Blocks   json.RawMessage
	// UnknownThread: see Message.UnknownThread.
	UnknownThread bool
}

// Update is a chat.update call that succeeded.
type Update struct {
	Channel string
	TS      string
	Text    string
	Blocks  json.RawMessage
}

// Response is a post to a response URL that was accepted.
type Response struct {
	URL             string
	ResponseType    string
	Text            string
	ThreadTS        string
	Blocks          json.RawMessage
	ReplaceOriginal bool
	DeleteOriginal  bool
}

// View is a views.open, views.update or views.push call that succeeded.
type View struct {
	ID        string // the view's ID (V…)
	TriggerID string // "" for views.update
	Method    string // "views.open", "views.update" or "views.push"
	View      json.RawMessage
}

// HomeView is a views.publish call that succeeded.
type HomeView struct {
	ID   string // the user's home view ID (V…), the same for every publish
	User string
	Hash string // the hash the publish returned; pass it to the next publish
	View json.RawMessage
	At   time.Time
}

// FunctionCompletion is a functions.completeSuccess or
// functions.completeError call that succeeded.
type FunctionCompletion struct {
	FunctionExecutionID string
	Method              string // "functions.completeSuccess" or "functions.completeError"
	// Outputs are completeSuccess's outputs: string values as is, others as
	// JSON text. Empty when slack-go sent "outputs":null.
	Outputs map[string]string
	Error   string // completeError's message
	At      time.Time
}

// Call is any request to /api/<method>, successful or not, in arrival order.
type Call struct {
	Method string
	At     time.Time
	// Params holds the form fields, or for JSON bodies the top-level fields
	// (strings unquoted, anything else as JSON text). The token is removed.
	Params url.Values
}

// Acks returns a copy of the acks received so far.
func (s *Server) Acks() []Ack { return snapshot(s, &s.acks) }

// Messages returns a copy of the chat.postMessage messages so far.
func (s *Server) Messages() []Message { return snapshot(s, &s.messages) }

// Ephemerals returns a copy of the chat.postEphemeral messages so far.
func (s *Server) Ephemerals() []Ephemeral { return snapshot(s, &s.ephemerals) }

// Updates returns a copy of the chat.update calls so far.
func (s *Server) Updates() []Update { return snapshot(s, &s.updates) }

// Responses returns a copy of the response URL posts so far.
func (s *Server) Responses() []Response { return snapshot(s, &s.responses) }

// Views returns a copy of the views.* calls so far.
func (s *Server) Views() []View { return snapshot(s, &s.views) }

// HomeViews returns a copy of the views.publish calls so far, for all users
// in order; HomeView has the latest per user.
func (s *Server) HomeViews() []HomeView { return snapshot(s, &s.homeViews) }

// HomeView returns the latest home view published for user, and false if
// none was.
func (s *Server) HomeView(user string) (HomeView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range slices.Backward(s.homeViews) {
		if v.User == user {
			return v, true
		}
	}
	return HomeView{}, false
}

// FunctionCompletions returns a copy of the functions.completeSuccess and
// functions.completeError calls that succeeded so far.
func (s *Server) FunctionCompletions() []FunctionCompletion {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.completes)
	for i := range out {
		out[i].Outputs = maps.Clone(out[i].Outputs)
	}
	return out
}

// Calls returns a copy of all Web API calls so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		c.Params = cloneValues(c.Params)
		out[i] = c
	}
	return out
}

// AckCount returns how many acks were received, without copying them.
func (s *Server) AckCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.acks)
}

// CallCount returns how many Web API calls of method were made ("" counts all).
func (s *Server) CallCount(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if method == "" {
		return len(s.calls)
	}
	n := 0
	for _, c := range s.calls {
		if c.Method == method {
			n++
		}
	}
	return n
}

func snapshot[T any](s *Server, p *[]T) []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(*p)
}

// SentAt returns when the frame of the envelope was (last) written to a
// socket; the time is taken just before the write, so it never lies after
// the ack's At. ok is false if it has not been written yet.
func (s *Server) SentAt(envelopeID string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.sentAt[envelopeID]
	return t, ok
}

// Wait blocks until cond returns true and then returns nil, or returns ctx's
// error. cond is evaluated at once and again after every recorded change
// (calls, acks, messages, connections, frames written, …). cond may call the
// Server's methods; it must not block.
func (s *Server) Wait(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WaitAck waits for the first ack of envelopeID and returns it, or returns
// ctx's error.
func (s *Server) WaitAck(ctx context.Context, envelopeID string) (Ack, error) {
	for {
		s.mu.Lock()
		ch := s.changed
		i, ok := s.ackIndex[envelopeID]
		var a Ack
		if ok {
			a = s.acks[i]
		}
		s.mu.Unlock()
		if ok {
			return a, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return Ack{}, ctx.Err()
		}
	}
}

func (s *Server) recordAck(a Ack) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.ackIndex[a.EnvelopeID]; !ok {
		s.ackIndex[a.EnvelopeID] = len(s.acks)
	}
	s.acks = append(s.acks, a)
	s.notifyLocked()
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
