// Package bot is mpc-bot's Slack adapter: it reads Socket Mode envelopes,
// parses what people type, hands requests to the conference service,
// acknowledges each envelope once the request is recorded, and shows
// people what happens, as Block Kit messages with buttons. It knows the
// rules of Slack, not the rules of the call: those live in package
// conference.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mpc-bot/mpc-bot/conference"
)

// Config is what a Bot needs. API, Service and DefaultRegion are required.
type Config struct {
	// API is a Slack client built with the bot token, the app-level token
	// (slack.OptionAppLevelToken) and, in tests, the fake's URL.
	API *slack.Client
	// Service runs the requests; the bot speaks for it in Slack.
	Service *conference.Service
	// Workspace answers the service's questions about people and groups;
	// nil builds one on API. Share it with the service (NewWorkspace).
	Workspace *Workspace
	// DefaultRegion applies to numbers typed without a country code.
	DefaultRegion string
	// ShowNumbers shows numbers in full in messages; by default they are
	// masked (+1•••0100), since channels are read by many.
	ShowNumbers bool
	// Command is the slash command, default "/mpc-add".
	Command string
	// Now is the clock messages show times from; default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// SocketOptions are passed to socketmode.New (tests shorten the ping
	// interval).
	SocketOptions []socketmode.Option
	// OnConnected, if set, is called each time the socket (re)connects.
	OnConnected func()
	// Observer is told what happens on the Slack side, for metrics.
	Observer Observer
}

// Bot is the running Slack adapter. Create it with New and start it with
// Run; the service's Run takes it as its conference.Replies.
type Bot struct {
	api       *slack.Client
	svc       *conference.Service
	workspace *Workspace
	log       *slog.Logger
	command   string
	region    string
	show      bool
	now       func() time.Time
	cfg       Config
	obs       Observer

	// botUserID is the bot's own user, whose mention starts a command.
	botUserID string
	connected atomic.Bool
	// received holds when each envelope was read, until its ack.
	received sync.Map // envelope ID → receipt

	// background is the work that outlives an envelope's ack: submitting
	// requests, answering, posting; busy counts it for Busy.
	background sync.WaitGroup
	busy       atomic.Int64
}

// New checks cfg and returns a Bot ready to Run.
func New(cfg Config) (*Bot, error) {
	var missing []string
	if cfg.API == nil {
		missing = append(missing, "API")
	}
	if cfg.Service == nil {
		missing = append(missing, "Service")
	}
	if cfg.DefaultRegion == "" {
		missing = append(missing, "DefaultRegion")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("bot: config lacks %v", missing)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Command == "" {
		cfg.Command = "/mpc-add"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	if cfg.Workspace == nil {
		cfg.Workspace = NewWorkspace(cfg.API, cfg.Now)
	}
	return &Bot{
		api: cfg.API, svc: cfg.Service, workspace: cfg.Workspace, log: cfg.Logger, command: cfg.Command,
		region: cfg.DefaultRegion, show: cfg.ShowNumbers, now: cfg.Now, cfg: cfg, obs: cfg.Observer,
	}, nil
}

// ErrSlackAuth is returned by Run when Slack refuses the tokens.
var ErrSlackAuth = errors.New("slack refused the tokens")

// Run connects to Slack over Socket Mode and serves until ctx ends or
// Slack refuses the tokens. It reconnects by itself on disconnects and
// dropped sockets. When ctx ends it stops reading envelopes (Slack
// re-delivers unacknowledged ones to other replicas) and returns; the
// service's own Run ends the requests in flight, and Wait waits for the
// last messages.
func (b *Bot) Run(ctx context.Context) error {
	// auth.test checks the bot token before anyone types a command, and
	// names the bot user whose mentions are commands.
	authCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	who, err := b.api.AuthTestContext(authCtx)
	cancel()
	var refused slack.SlackErrorResponse
	switch {
	case errors.As(err, &refused):
		return fmt.Errorf("bot: auth.test: %w: %s", ErrSlackAuth, refused.Err)
	case err != nil:
		return fmt.Errorf("bot: auth.test: cannot reach Slack: %s", slackErrorCode(err))
	}
	b.botUserID = who.UserID
	b.log.Info("authenticated with Slack", "team", who.TeamID, "bot_user", who.UserID)

	logger := slog.NewLogLogger(b.log.Handler(), slog.LevelDebug)
	smc := socketmode.New(b.api, append([]socketmode.Option{socketmode.OptionLog(logger)}, b.cfg.SocketOptions...)...)

	sockCtx, stopSocket := context.WithCancel(ctx)
	defer stopSocket()
	sockErr := make(chan error, 1)
	go func() { sockErr <- smc.RunContext(sockCtx) }()

loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err = <-sockErr:
			if ctx.Err() == nil {
				b.log.Error("Slack ended the Socket Mode session", "err", err)
				err = fmt.Errorf("bot: socket mode: %w: %v", ErrSlackAuth, err)
			} else {
				err = nil
			}
			break loop
		case evt := <-smc.Events:
			b.handle(smc, evt)
		}
	}
	stopSocket()
	b.setConnected(false) // not ready: /readyz says so while requests drain
	return err
}

// Wait waits, at most timeout, for the messages the bot is still posting.
func (b *Bot) Wait(timeout time.Duration) {
	done := make(chan struct{})
	go func() { b.background.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		b.log.Warn("stopped waiting for messages still being posted", "pending", b.busy.Load())
	}
}

// Connected reports whether the Socket Mode connection is up, for /readyz.
func (b *Bot) Connected() bool { return b.connected.Load() }

// Busy reports the bot's own work in flight: envelopes being recorded and
// answers being posted. With the service's Busy, 0 means idle.
func (b *Bot) Busy() int { return int(b.busy.Load()) }

// spawn runs f as tracked background work.
func (b *Bot) spawn(f func()) {
	b.background.Add(1)
	b.busy.Add(1)
	go func() {
		defer b.background.Done()
		defer b.busy.Add(-1)
		f()
	}()
}
