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
	region    string
	show      bool
	now       func() time.Time
	cfg       Config
	obs       Observer

	// botUserID is the bot's own user, whose mention starts a command.
	botUserID string
	connected atomic.Bool
	// halt is set when the bot must stop for good (SlackFault).
	halt halt
	// received holds when each envelope was read, until its ack.
	received sync.Map // envelope ID → receipt
	// slashes queues slash commands for the slash intake (intake.go).
	slashes *queue[slashEnvelope]

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
		api: cfg.API, svc: cfg.Service, workspace: cfg.Workspace, log: cfg.Logger,
		region: cfg.DefaultRegion, show: cfg.ShowNumbers, now: cfg.Now, cfg: cfg, obs: cfg.Observer,
		slashes: newQueue[slashEnvelope](),
	}, nil
}

// Run connects to Slack over Socket Mode and serves until ctx ends (it
// then returns nil) or the session cannot go on. It reconnects by itself
// when Slack asks it to or the network drops the socket. It stops for good,
// logging why once at error level, when Slack refuses a token (a
// *TokenError) or turns Socket Mode off (ErrSocketModeDisabled); when
// auth.test gets no answer it returns ErrSlackUnreachable. A token that
// worked and was then revoked does not end Run: it stays up, not ready,
// until ctx ends (see SlackFault). When it ends it stops reading envelopes (Slack
// re-delivers unacknowledged ones to other replicas); the service's own
// Run ends the requests in flight, and Wait waits for the last messages.
func (b *Bot) Run(ctx context.Context) error {
	// auth.test checks the bot token before anyone types a command, and
	// names the bot user whose mentions are commands.
	authCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	who, err := b.api.AuthTestContext(authCtx)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return authTestError(err)
	}
	b.botUserID = who.UserID
	b.log.Info("authenticated with Slack", "team", who.TeamID, "bot_user", who.UserID)

	sockCtx, stopSocket := context.WithCancel(ctx)
	defer stopSocket()
	logger := slog.NewLogLogger(b.log.Handler(), slog.LevelDebug)
	onDisconnect := func(reason string) { b.onDisconnect(reason, stopSocket) }
	opts := []socketmode.Option{socketmode.OptionLog(logger), socketmode.OptionDialer(socketDialer(onDisconnect))}
	smc := socketmode.New(b.api, append(opts, b.cfg.SocketOptions...)...)

	sockErr := make(chan error, 1)
	go func() { sockErr <- smc.RunContext(sockCtx) }()
	stopIntake := make(chan struct{})
	b.background.Add(1)
	go func() { defer b.background.Done(); b.runSlashIntake(stopIntake) }()
	defer close(stopIntake)

	var end error      // why the session ended, if not ctx or a halt
	connected := false // the app-level token has worked in this run
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-b.halt.done():
			break loop
		case err := <-sockErr:
			sockErr = nil
			end = socketEnd(err, connected)
			var te *TokenError
			if errors.As(end, &te) {
				b.stopFor(end, "Slack refused the app-level token, so the bot stops: make a new app-level token with connections:write (your app's Basic Information page) and set SLACK_APP_TOKEN to it", "slack_error", te.Code, "revoked", te.Revoked)
			} else if end != nil {
				b.log.Error("the Socket Mode session ended", "err", end)
			}
			break loop
		case evt := <-smc.Events:
			if b.halt.reason() != nil {
				break loop // left unacknowledged: Slack re-delivers it
			}
			connected = connected || evt.Type == socketmode.EventTypeConnected
			b.handle(smc, evt)
		}
	}
	stopSocket()
	if sockErr != nil {
		// Let the Socket Mode client finish, so that nothing reconnects
		// once Run has returned.
		select {
		case <-sockErr:
		case <-time.After(5 * time.Second):
			b.log.Warn("the Socket Mode client did not stop within 5s")
		}
	}
	b.setConnected(false) // not ready: /readyz says so while requests drain
	if h := b.halt.reason(); errors.Is(h, ErrTokenRevoked) {
		// Slack does not take a revoked token back, and every replica has
		// the same token, so a restart cannot help: the process stays up,
		// not ready, with the reason on /readyz, until an operator installs
		// a new token and restarts it. Exiting would only crash-loop.
		<-ctx.Done()
		return nil
	} else if h != nil {
		return h
	}
	return end
}

// onDisconnect hears the reason of each disconnect message Slack sends.
// slack-go reconnects after every one; link_disabled is final, so it also
// ends the socket's context (stopSocket) here, on the goroutine reading the
// socket, before slack-go has read the message and could reconnect.
func (b *Bot) onDisconnect(reason string, stopSocket context.CancelFunc) {
	if reason != reasonLinkDisabled {
		b.log.Info("Slack asked for a new connection", "reason", reason)
		return
	}
	b.stopFor(fmt.Errorf("bot: Slack closed the connection with reason %s: %w", reason, ErrSocketModeDisabled),
		"Slack turned Socket Mode off for this app, so the bot stops: turn it back on at https://api.slack.com/apps → your app → Socket Mode, then start the bot again",
		"reason", reason)
	stopSocket()
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
func (b *Bot) Connected() bool { return b.connected.Load() && b.halt.reason() == nil }

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
