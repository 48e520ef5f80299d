// Package slacktest is an in-process fake Slack for tests, benchmarks and a
// demo mode, in the style of net/http/httptest.
//
// A Server is an httptest.Server on 127.0.0.1 that serves the Slack Web API
// methods the bot uses, apps.connections.open, a Socket Mode websocket that the
// real slack-go socketmode client connects to, and per-envelope response URLs.
// Everything the bot does is recorded so tests can assert on it, and Wait lets
// a test block until a recorded condition holds.
//
// Beyond slash commands, interactions and events it covers the App Home
// (views.publish, OpenHome), DMs (SendDirectMessage), Workflow Builder custom
// steps (SendFunctionExecuted, functions.complete*), Enterprise Grid and
// Slack Connect fields, and failures: injected errors and rate limits, Web
// API latency, dropped or disconnected sockets, Socket Mode turned off and
// revoked tokens.
//
// Point a client at it with:
//
//	api := slack.New(slacktest.BotToken,
//		slack.OptionAppLevelToken(slacktest.AppToken),
//		slack.OptionAPIURL(srv.APIURL()))
//	smc := socketmode.New(api)
package slacktest

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Identifiers and credentials of the fake workspace.
const (
	// BotToken is the only bot token the fake's Web API accepts.
	BotToken = "xoxb-fake-bot-token"
	// AppToken is the only app-level token apps.connections.open accepts.
	AppToken = "xapp-fake-app-token"
	// TeamID is the ID of the fake workspace.
	TeamID = "T0FAKE"
	// TeamDomain is the domain of the fake workspace (team_domain in payloads).
	TeamDomain = "fake-team"
	// BotUserID is the user ID of the bot user; it is pre-registered as a user.
	BotUserID = "UBOTFAKE"
	// BotID is the bot ID (B…) of the bot user.
	BotID = "B0FAKEBOT"
	// AppID is the ID of the fake app (api_app_id in payloads).
	AppID = "A0FAKEAPP"
	// VerificationToken is the legacy verification token put into payloads.
	// It is not a credential and the fake never checks it.
	VerificationToken = "fake-verification-token"
)

// DefaultScopes are the bot scopes the fake reports as granted (in the
// X-OAuth-Scopes response header) unless WithScopes says otherwise.
const DefaultScopes = "commands,chat:write,chat:write.public,users:read,usergroups:read,app_mentions:read,im:history"

// DefaultPingInterval is how often the server sends websocket ping frames
// unless WithPingInterval says otherwise.
const DefaultPingInterval = 2 * time.Second

// ErrClosed is returned by the Send methods after Close.
var ErrClosed = errors.New("slacktest: server closed")

// Option configures a Server in NewServer.
type Option func(*Server)

// WithPingInterval sets how often each open websocket gets a ping control
// frame (default DefaultPingInterval). d <= 0 disables pings, which makes the
// slack-go client reconnect after its own ping timeout.
func WithPingInterval(d time.Duration) Option {
	return func(s *Server) { s.pingInterval = d }
}

// WithTriggerTTL makes trigger IDs expire d after they were issued, as Slack's
// do after about 3 s (views.open then fails with expired_trigger_id).
// The default, 0, means trigger IDs never expire (they are still single use).
func WithTriggerTTL(d time.Duration) Option {
	return func(s *Server) { s.triggerTTL = d }
}

// WithAPILatency makes every Web API call (/api/<method>) wait d before it
// is answered; see SetAPILatency.
func WithAPILatency(d time.Duration) Option {
	return func(s *Server) { s.apiLatency = d }
}

// WithScopes sets the bot scopes reported as granted in the X-OAuth-Scopes
// header of Web API answers to bot-token calls (default DefaultScopes).
// WithScopes() with no scopes reports an empty header.
func WithScopes(scopes ...string) Option {
	return func(s *Server) { s.scopes = strings.Join(scopes, ",") }
}

// Server is a fake Slack. Create it with NewServer and stop it with Close.
// All methods are safe for concurrent use.
type Server struct {
	srv          *httptest.Server
	pingInterval time.Duration
	triggerTTL   time.Duration
	scopes       string
	upgrader     websocket.Upgrader
	handlers     map[string]apiHandler
	wg           sync.WaitGroup // websocket handler goroutines
	done         chan struct{}  // closed by Close
	// upgraded, if set, runs after a websocket upgrade has been answered and
	// before the socket is served (a test hook, see export_test.go).
	upgraded func()

	mu      sync.Mutex
	closed  bool
	changed chan struct{} // closed and replaced on every recorded change

	apiLatency    time.Duration
	apiGate       chan struct{} // HoldAPI's gate; nil when calls are not held
	envelopesHeld bool          // HoldEnvelopes: queued frames wait
	revoked       bool          // RevokeTokens was called
	socketModeOff bool          // DisableSocketMode was called (and not undone)

	// id sequences
	envSeq, eventSeq, triggerSeq, respSeq, viewSeq, tsSeq, ticketSeq, execSeq int

	// directory
	users    map[string]User
	channels map[string]Channel
	groups   map[string]userGroup
	posts    map[string]map[string]post // channel -> ts -> post

	// issued things
	triggers     map[string]*trigger
	responseURLs map[string]int // id -> uses so far
	openViews    map[string]*openView
	externalIDs  map[string]string   // external_id -> view id
	homes        map[string]*homeTab // user -> published home view
	tickets      map[string]bool
	executions   map[string]*execution // function_execution_id -> execution

	// fault injection
	fails      map[string]*failFault
	rateLimits map[string]*rateLimitFault

	// sockets
	conns   []*wsConn // every socket from the accepted upgrade request until it is closed
	active  []*wsConn // sockets envelopes may be routed to
	rr      int
	pending []frame
	opened  int

	// records
	acks       []Ack
	ackIndex   map[string]int // envelope id -> index of its first ack
	messages   []Message
	ephemerals []Ephemeral
	updates    []Update
	responses  []Response
	views      []View
	homeViews  []HomeView
	completes  []FunctionCompletion
	calls      []Call
	sentAt     map[string]time.Time
	sent       map[string]Envelope // by envelope ID, for Redeliver
}

// NewServer starts a fake Slack on 127.0.0.1. Call Close when done.
func NewServer(opts ...Option) *Server {
	s := &Server{
		pingInterval: DefaultPingInterval,
		scopes:       DefaultScopes,
		done:         make(chan struct{}),
		changed:      make(chan struct{}),
		users:        map[string]User{},
		channels:     map[string]Channel{},
		groups:       map[string]userGroup{},
		posts:        map[string]map[string]post{},
		triggers:     map[string]*trigger{},
		responseURLs: map[string]int{},
		openViews:    map[string]*openView{},
		externalIDs:  map[string]string{},
		homes:        map[string]*homeTab{},
		tickets:      map[string]bool{},
		executions:   map[string]*execution{},
		fails:        map[string]*failFault{},
		rateLimits:   map[string]*rateLimitFault{},
		ackIndex:     map[string]int{},
		sentAt:       map[string]time.Time{},
		sent:         map[string]Envelope{},
	}
	for _, o := range opts {
		o(s)
	}
	s.upgrader = websocket.Upgrader{
		HandshakeTimeout: writeTimeout,
		// slack-go sends Origin: https://api.slack.com, which the default
		// check would reject.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	s.handlers = s.apiHandlers()
	s.users[BotUserID] = User{ID: BotUserID, Name: "mpc-bot", RealName: "MPC Bot", IsBot: true}

	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.handleAPI)
	mux.HandleFunc("/link/", s.handleSocket)
	mux.HandleFunc("/response/", s.handleResponseURL)
	// Assign s.srv before serving starts so handlers may read it race-free.
	s.srv = httptest.NewUnstartedServer(mux)
	s.srv.Start()
	return s
}

// Close closes every websocket abruptly, cuts Web API latency short, and
// shuts the HTTP server down. It does not wait for clients; it is safe to
// call more than once.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	conns := append([]*wsConn(nil), s.conns...)
	s.active = nil
	s.notifyLocked()
	s.mu.Unlock()

	for _, c := range conns {
		c.shutdown()
	}
	s.srv.CloseClientConnections()
	s.srv.Close()
	s.wg.Wait()
}

// URL returns the base URL of the server, e.g. "http://127.0.0.1:12345"
// (no trailing slash).
func (s *Server) URL() string { return s.srv.URL }

// APIURL returns URL()+"/api/", the value for slack.OptionAPIURL (slack-go
// appends method names to it, so the trailing slash matters).
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// notifyLocked wakes every Wait. s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Base of the fake clock used for message timestamps and trigger IDs.
const tsBase = 1764072000

// nextTSLocked returns a fresh message timestamp; each is 100 µs after the
// previous one, starting at "1764072000.000100". s.mu must be held.
func (s *Server) nextTSLocked() string {
	s.tsSeq++
	us := s.tsSeq * 100
	return fmt.Sprintf("%d.%06d", tsBase+us/1_000_000, us%1_000_000)
}

// nextEnvelopeIDLocked returns a fresh UUID-shaped envelope ID. s.mu must be held.
func (s *Server) nextEnvelopeIDLocked() string {
	s.envSeq++
	return fmt.Sprintf("fa4e0000-0000-4000-8000-%012d", s.envSeq)
}

// NewTriggerID issues a fresh single-use trigger ID that views.open and
// views.push accept once. Use it for hand-built interaction payloads.
func (s *Server) NewTriggerID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newTriggerIDLocked()
}

func (s *Server) newTriggerIDLocked() string {
	s.triggerSeq++
	id := fmt.Sprintf("%d.%d.fake%012d", tsBase+s.triggerSeq, 4242424242, s.triggerSeq)
	s.triggers[id] = &trigger{issued: time.Now()}
	return id
}

// NewResponseURL issues a fresh response URL (URL()+"/response/<n>") that
// accepts up to MaxResponseURLUses posts. Use it for hand-built interaction
// payloads such as message shortcuts.
func (s *Server) NewResponseURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newResponseURLLocked()
}

func (s *Server) newResponseURLLocked() string {
	s.respSeq++
	id := fmt.Sprint(s.respSeq)
	s.responseURLs[id] = 0
	return s.srv.URL + "/response/" + id
}
