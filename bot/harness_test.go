package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mpc-bot/mpc-bot/bot"
	"github.com/mpc-bot/mpc-bot/bot/slacktest"
	"github.com/mpc-bot/mpc-bot/conference"
	"github.com/mpc-bot/mpc-bot/directory"
	"github.com/mpc-bot/mpc-bot/phlo"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
	"github.com/mpc-bot/mpc-bot/store"
)

// Fixture people and channels of the fake workspace.
const (
	callerID      = "U0CALLER"   // in the directory file
	profileUserID = "U0PROFILE"  // only a Slack profile phone
	nobodyID      = "U0NOBODY"   // no number anywhere
	badPhoneID    = "U0BADPHONE" // an unusable profile phone
	aliceID       = "U0ALICE"    // in the directory, SIP
	publicChan    = "C0PUBLIC"
	privateChan   = "G0PRIVATE" // the bot is not a member
	callerNumber  = "+14155550199"
	profileNumber = "+442079460000"
)

// The second bridge some tests add (dbsBridge), on the fake PHLO's second
// node.
const (
	dbsPhloID = "11111111-2222-3333-4444-555555555555"
	dbsNodeID = "66666666-7777-8888-9999-000000000000"
)

func dbsBridge() conference.Bridge {
	return conference.Bridge{Name: "dbs", PhloID: dbsPhloID, NodeID: dbsNodeID, Description: "database incidents"}
}

const directoryYAML = `
users:
  U0CALLER: "+1 415 555 0199"
  U0ALICE: "sip:alice@example.sip.plivo.com"
`

// harness is the real wiring (conference service, store, PHLO client,
// Slack adapter) against the fake Slack and fake PHLO.
type harness struct {
	t     testing.TB
	slack *slacktest.Server
	phlo  *phlotest.Server
	logs  *syncBuffer
	store *store.Store
	bot   *bot.Bot
	svc   *conference.Service
	stop  context.CancelFunc
	// setup is what the first instance was built with, for replicas.
	setup  setup
	runErr error
}

// setup is everything a test may tune before the harness starts.
type setup struct {
	Bot     bot.Config
	Service conference.Config
	PHLO    phlo.Config
	// Bridges are added to the default one.
	Bridges []conference.Bridge
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newHarness starts a connected bot; tune adjusts the setup before start.
func newHarness(t testing.TB, tune ...func(*setup)) *harness {
	t.Helper()
	h := &harness{
		t:     t,
		slack: slacktest.NewServer(slacktest.WithPingInterval(500 * time.Millisecond)),
		// A second PHLO node serves tests that add a second bridge.
		phlo: phlotest.NewServer(phlotest.Config{Nodes: []phlotest.Node{{PhloID: dbsPhloID, NodeID: dbsNodeID}}}),
		logs: &syncBuffer{},
	}
	t.Cleanup(h.phlo.Close)
	t.Cleanup(h.slack.Close)
	h.slack.AddUser(slacktest.User{ID: callerID, Name: "carol"})
	h.slack.AddUser(slacktest.User{ID: profileUserID, Name: "pat", Phone: "020 7946 0000"})
	h.slack.AddUser(slacktest.User{ID: nobodyID, Name: "nobody"})
	h.slack.AddUser(slacktest.User{ID: badPhoneID, Name: "bad", Phone: "ext. 12"})
	h.slack.AddUser(slacktest.User{ID: aliceID, Name: "alice"})
	h.slack.AddChannel(slacktest.Channel{ID: publicChan, Name: "incident-42", BotIsMember: true})
	h.slack.AddChannel(slacktest.Channel{ID: privateChan, Name: "secret", Private: true})

	dir, err := directory.Parse([]byte(directoryYAML), "GB")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), store.Config{Path: filepath.Join(t.TempDir(), "mpc-bot.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h.store = st
	logger := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := setup{
		PHLO: phlo.Config{
			BaseURL:   h.phlo.URL(),
			AuthID:    phlotest.DefaultAuthID,
			AuthToken: phlotest.DefaultAuthToken,
			Timeout:   2 * time.Second,
		},
		Service: conference.Config{
			Store:           st,
			Directory:       dir,
			DefaultRegion:   "GB",
			Logger:          logger,
			ShutdownTimeout: 5 * time.Second,
		},
		Bot: bot.Config{
			ShowNumbers:   true,
			DefaultRegion: "GB",
			Logger:        logger,
			SocketOptions: []socketmode.Option{socketmode.OptionPingInterval(5 * time.Second)},
		},
	}
	for _, f := range tune {
		f(&s)
	}
	h.setup = s
	h.bot, h.svc, h.stop = h.start(s)
	t.Cleanup(func() {
		h.shutdown()
		h.assertNoSecretsLeaked()
	})
	return h
}

// start runs one more instance with s against the harness's fakes and
// waits until it is connected; the returned func stops it and waits for
// it to finish.
func (h *harness) start(s setup) (*bot.Bot, *conference.Service, context.CancelFunc) {
	h.t.Helper()
	pc, err := phlo.New(s.PHLO)
	if err != nil {
		h.t.Fatal(err)
	}
	api := slack.New(slacktest.BotToken, slack.OptionAppLevelToken(slacktest.AppToken), slack.OptionAPIURL(h.slack.APIURL()))
	ws := bot.NewWorkspace(api, time.Now)
	def := conference.Bridge{Name: conference.DefaultBridge, PhloID: phlotest.DefaultPhloID, NodeID: phlotest.DefaultNodeID}
	brs, err := conference.NewBridges(def, s.Bridges...)
	if err != nil {
		h.t.Fatal(err)
	}
	cfg := s.Service
	cfg.Calls = &phlo.Switchboard{Client: pc}
	cfg.Bridges = brs
	cfg.Profiles, cfg.Groups = ws, ws
	svc, err := conference.New(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	bcfg := s.Bot
	bcfg.API, bcfg.Service, bcfg.Workspace = api, svc, ws
	connected := make(chan struct{}, 16)
	bcfg.OnConnected = func() { connected <- struct{}{} }
	b, err := bot.New(bcfg)
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	svcDone := make(chan error, 1)
	go func() { svcDone <- svc.Run(ctx, b) }()
	<-svc.Started()
	done := make(chan error, 1)
	go func() {
		err := b.Run(ctx)
		cancel()
		if serr := <-svcDone; err == nil {
			err = serr
		}
		b.Wait(10 * time.Second)
		done <- err
	}()
	select {
	case <-connected:
	case err := <-done:
		h.t.Fatalf("bot.Run: %v", err)
	case <-time.After(10 * time.Second):
		h.t.Fatal("bot did not connect to the fake Slack")
	}
	var once sync.Once
	return b, svc, func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				h.runErr = err
			case <-time.After(30 * time.Second):
				h.t.Error("the bot did not stop after shutdown")
			}
		})
	}
}

// shutdown stops the bot and returns Run's error; safe to call twice.
func (h *harness) shutdown() error {
	h.stop()
	return h.runErr
}

// idle waits until the bot and the service have nothing in flight: every
// acknowledged request finished and every message posted. Tests count
// only after it, so a late second dial cannot pass unnoticed.
func (h *harness) idle() {
	h.t.Helper()
	h.idleOf(h.bot, h.svc)
}

// idleOf waits until one instance has nothing in flight.
func (h *harness) idleOf(b *bot.Bot, svc *conference.Service) {
	h.t.Helper()
	ctx := h.ctx()
	for quiet := 0; quiet < 3; {
		if b.Busy() == 0 && svc.Busy() == 0 {
			quiet++
		} else {
			quiet = 0
		}
		select {
		case <-ctx.Done():
			h.t.Fatalf("the bot did not become idle: bot %d, service %d\nlogs:\n%s", b.Busy(), svc.Busy(), h.logs.String())
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func (h *harness) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	h.t.Cleanup(cancel)
	return ctx
}

// command sends /mpc-add text from user in channel and waits for its ack.
func (h *harness) command(user, channel, text string) (slacktest.Ack, string) {
	h.t.Helper()
	env, responseURL, _, err := h.slack.SendSlashCommand(slacktest.SlashCommand{Text: text, UserID: user, ChannelID: channel})
	if err != nil {
		h.t.Fatal(err)
	}
	ack, err := h.slack.WaitAck(h.ctx(), env)
	if err != nil {
		h.t.Fatalf("no ack for %q: %v\nlogs:\n%s", text, err, h.logs.String())
	}
	return ack, responseURL
}

// twoReplicas starts a harness and a second bot and service beside it,
// both on the database cfg names, and waits until both are connected.
func twoReplicas(t *testing.T, cfg store.Config) (*harness, *bot.Bot, *conference.Service) {
	t.Helper()
	open := func() *store.Store {
		s, err := store.Open(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	h := newHarness(t, func(s *setup) { s.Service.Store = open() })
	second := h.setup
	second.Service.Store = open()
	b2, svc2, stop := h.start(second)
	t.Cleanup(stop)
	h.waitFor("two sockets", func() bool { return h.slack.OpenConnections() == 2 })
	return h, b2, svc2
}

// waitFor waits until cond holds, re-checking on every change the fake sees.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	if err := h.slack.Wait(h.ctx(), cond); err != nil {
		h.t.Fatalf("waiting for %s: %v\nmessages: %+v\nresponses: %+v\nlogs:\n%s", what, err, h.slack.Messages(), h.slack.Responses(), h.logs.String())
	}
}

// thread returns the channel messages: the parent and its replies.
func (h *harness) thread(channel string) (parent slacktest.Message, replies []slacktest.Message) {
	for _, m := range h.slack.Messages() {
		if m.Channel != channel {
			continue
		}
		if m.ThreadTS == "" {
			parent = m
		} else {
			replies = append(replies, m)
		}
	}
	return parent, replies
}

// waitThread waits for one parent and one reply in channel and returns them.
func (h *harness) waitThread(channel string) (slacktest.Message, slacktest.Message) {
	h.t.Helper()
	h.waitFor("a thread reply", func() bool { _, r := h.thread(channel); return len(r) > 0 })
	p, r := h.thread(channel)
	if p.TS == "" || r[0].ThreadTS != p.TS {
		h.t.Fatalf("reply %+v is not in the thread of %+v", r[0], p)
	}
	return p, r[0]
}

// ackText is the text of an ack's response payload, "" for a bare ack.
func ackText(t *testing.T, a slacktest.Ack) string {
	t.Helper()
	if len(a.Payload) == 0 || string(a.Payload) == "null" {
		return ""
	}
	var p struct {
		Text         string `json:"text"`
		ResponseType string `json:"response_type"`
	}
	if err := json.Unmarshal(a.Payload, &p); err != nil {
		t.Fatalf("ack payload %s: %v", a.Payload, err)
	}
	if p.ResponseType != "ephemeral" {
		t.Errorf("ack payload %s is not ephemeral", a.Payload)
	}
	return p.Text
}

// assertNoSecretsLeaked checks every log line and every Slack message for
// tokens and for the callers' own numbers, which nobody typed.
func (h *harness) assertNoSecretsLeaked() {
	secrets := []string{slacktest.BotToken, slacktest.AppToken, phlotest.DefaultAuthToken, "4155550199", "2079460000"}
	var seen []string
	seen = append(seen, h.logs.String())
	for _, m := range h.slack.Messages() {
		seen = append(seen, m.Text, string(m.Blocks))
	}
	for _, r := range h.slack.Responses() {
		seen = append(seen, r.Text, string(r.Blocks))
	}
	for _, a := range h.slack.Acks() {
		seen = append(seen, string(a.Payload))
	}
	if strings.Contains(h.logs.String(), "5550100") {
		h.t.Errorf("a dialled number reached the log unmasked")
	}
	for _, s := range seen {
		for _, secret := range secrets {
			if strings.Contains(s, secret) {
				h.t.Errorf("secret or caller number %q leaked into: %.300s", secret, s)
			}
		}
	}
}
