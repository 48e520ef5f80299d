// Package bot is everything Slack-facing in mpc-bot: it reads Socket Mode
// envelopes, acknowledges each at once, and does the slow work (profile
// look-ups, the PHLO request, posting the outcome) afterwards, bounded.
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

	"github.com/mpc-bot/mpc-bot/phlo"
	"github.com/mpc-bot/mpc-bot/policy"
)

// MemberAdder dials a party into the Multi-Party Call; *phlo.Client
// satisfies it. Implementations must not retry anything that may have
// reached Plivo: a retry could ring someone twice.
type MemberAdder interface {
	AddMember(ctx context.Context, call phlo.Call) (phlo.Result, error)
}

// Config is what a Bot needs. API, PHLO and DefaultRegion are required.
type Config struct {
	// API is a Slack client built with the bot token, the app-level token
	// (slack.OptionAppLevelToken) and, in tests, the fake's URL.
	API  *slack.Client
	PHLO MemberAdder
	// Store keeps claims, registered numbers and the audit trail, and is
	// what lets several replicas act once; *store.Store satisfies it.
	Store Store
	// Directory may be nil: then registered numbers and Slack profiles give
	// numbers.
	Directory Directory
	// Policy says who may dial whom; nil allows everyone, though
	// premium-rate numbers are refused all the same.
	Policy *policy.Policy
	// ShowNumbers shows numbers in full in messages; by default they are
	// masked (+1415•••0100), since channels are read by many.
	ShowNumbers bool
	// UserDialsPerMinute bounds each person's dials, in bursts of up to
	// MaxPeople; more wait, with a note saying so. Default 30.
	UserDialsPerMinute int
	// MaxPHLOInFlight bounds PHLO requests at once, across requests;
	// default 16.
	MaxPHLOInFlight int
	DefaultRegion   string
	Logger          *slog.Logger

	// Command is the slash command, default "/mpc-add".
	Command string
	// MaxInFlight bounds the adds worked on at once; default 16.
	MaxInFlight int
	// MaxQueued bounds adds accepted but not finished; past it people are
	// told to try again. Default 1000.
	MaxQueued int
	// AddTimeout bounds one add from start to final message; default 60s.
	AddTimeout time.Duration
	// ShutdownTimeout bounds how long Run waits for adds in flight after
	// its context ends; default 25s (Kubernetes gives 30s).
	ShutdownTimeout time.Duration
	// SocketOptions are passed to socketmode.New (tests shorten the ping
	// interval).
	SocketOptions []socketmode.Option
	// OnConnected, if set, is called each time the socket (re)connects.
	OnConnected func()
	// Observer is told what happens, for metrics; default: nobody.
	Observer Observer
}

// Bot is a running mpc-bot. Create it with New and start it with Run.
type Bot struct {
	api     *slack.Client
	phlo    MemberAdder
	people  *people
	log     *slog.Logger
	command string
	region  string
	cfg     Config
	store   Store
	groups  *groupCache
	limits  *userLimits
	queue   *workQueue
	// phloSlots bounds PHLO requests at once across all requests.
	phloSlots chan struct{}
	newReqID  func() string
	// botUserID is the bot's own user, whose mention starts a command.
	botUserID string
	obs       Observer
	connected atomic.Bool
	// received holds when each envelope was read, until its ack.
	received sync.Map // envelope ID → time.Time

	// work outlives Run's context so that accepted adds can finish during
	// shutdown; it is cancelled once ShutdownTimeout has passed.
	work       context.Context
	cancelWork context.CancelFunc
	jobs       sync.WaitGroup
	side       atomic.Int64 // background work outside the queue
}

// New checks cfg and returns a Bot ready to Run.
func New(cfg Config) (*Bot, error) {
	var missing []string
	if cfg.API == nil {
		missing = append(missing, "API")
	}
	if cfg.Store == nil {
		missing = append(missing, "Store")
	}
	if cfg.PHLO == nil {
		missing = append(missing, "PHLO")
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
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 16
	}
	if cfg.MaxQueued <= 0 {
		cfg.MaxQueued = 1000
	}
	if cfg.AddTimeout <= 0 {
		cfg.AddTimeout = 60 * time.Second
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 25 * time.Second
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	if cfg.Policy == nil {
		cfg.Policy, _ = policy.New(policy.Config{})
	}
	if cfg.UserDialsPerMinute <= 0 {
		cfg.UserDialsPerMinute = 30
	}
	if cfg.MaxPHLOInFlight <= 0 {
		cfg.MaxPHLOInFlight = 16
	}
	ppl := newPeople(cfg.Store, cfg.Directory, cfg.API, cfg.DefaultRegion)
	ppl.showNumbers = cfg.ShowNumbers
	work, cancel := context.WithCancel(context.Background())
	return &Bot{
		api:        cfg.API,
		phlo:       cfg.PHLO,
		people:     ppl,
		store:      cfg.Store,
		groups:     newGroupCache(cfg.API),
		limits:     newUserLimits(cfg.UserDialsPerMinute),
		phloSlots:  make(chan struct{}, cfg.MaxPHLOInFlight),
		log:        cfg.Logger,
		command:    cfg.Command,
		region:     cfg.DefaultRegion,
		cfg:        cfg,
		obs:        cfg.Observer,
		queue:      newWorkQueue(cfg.MaxInFlight, cfg.MaxQueued),
		newReqID:   newRequestID,
		work:       work,
		cancelWork: cancel,
	}, nil
}

// ErrSlackAuth is returned by Run when Slack refuses the tokens.
var ErrSlackAuth = errors.New("slack refused the tokens")

// Run connects to Slack over Socket Mode and serves until ctx ends or Slack
// refuses the tokens. It reconnects by itself on disconnects and dropped
// sockets. When ctx ends it stops taking envelopes (Slack re-delivers
// unacknowledged ones elsewhere), waits up to ShutdownTimeout for adds in
// flight, and returns nil.
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
	b.setConnected(false) // not ready: /readyz says so while adds drain
	b.drain()
	return err
}

// drain waits for accepted adds, then cancels the stragglers and waits for
// them to report, which their own short deadlines bound.
func (b *Bot) drain() {
	done := make(chan struct{})
	go func() { b.jobs.Wait(); close(done) }()
	if n := b.queue.pending(); n > 0 {
		b.log.Info("shutting down: waiting for adds in flight", "adds", n, "timeout", b.cfg.ShutdownTimeout)
	}
	select {
	case <-done:
	case <-time.After(b.cfg.ShutdownTimeout):
		b.log.Warn("shutting down: adds still in flight after the timeout, cancelling them", "adds", b.queue.pending())
		b.cancelWork()
		<-done
	}
	b.cancelWork()
}

// Connected reports whether the Socket Mode connection is up, for /readyz.
func (b *Bot) Connected() bool { return b.connected.Load() }

// InFlight reports the work accepted and not yet finished: requests and
// the replies and form openings that run beside them.
func (b *Bot) InFlight() int { return b.queue.pending() + int(b.side.Load()) }
