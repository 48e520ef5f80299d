// Command mpc-bot lets Slack users add people to a running Plivo PHLO
// Multi-Party Call, and steer them once they are on. It connects over
// Socket Mode, so it needs no public URL. Settings come from the
// environment; see README.md.
//
//	mpc-bot            run the bot
//	mpc-bot check      check the settings against Slack, Plivo and the database
//	mpc-bot sandbox    try it against a built-in fake Slack and fake PHLO
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mpc-bot/mpc-bot/bot"
	"github.com/mpc-bot/mpc-bot/bridges"
	"github.com/mpc-bot/mpc-bot/conference"
	"github.com/mpc-bot/mpc-bot/config"
	"github.com/mpc-bot/mpc-bot/directory"
	"github.com/mpc-bot/mpc-bot/phlo"
	"github.com/mpc-bot/mpc-bot/store"
	"github.com/mpc-bot/mpc-bot/telemetry"
)

// dbOpenTimeout bounds connecting to and migrating the database at start,
// so that an unreachable server fails the start instead of hanging it.
const dbOpenTimeout = time.Minute

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mpc-bot:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	switch {
	case len(args) == 1 && args[0] == "sandbox":
		return runSandbox(ctx, stdin, stdout)
	case len(args) == 1 && args[0] == "check":
		return runCheck(ctx, stdout)
	case len(args) > 0:
		return fmt.Errorf("unexpected arguments %q: run mpc-bot with its settings in the environment (see README.md), mpc-bot check to check them, or mpc-bot sandbox to try it", args)
	}
	s, err := config.Load()
	if err != nil {
		return err
	}
	m := &Main{Settings: s, Logger: slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: s.Level()}))}
	return m.Run(ctx)
}

// Main is the wired program: settings in, a running bot out. Tests and the
// sandbox build one against the fake Slack and fake PHLO and run it
// in-process.
type Main struct {
	Settings config.Settings
	Logger   *slog.Logger
	// SocketOptions tune the Socket Mode client; tests shorten timeouts.
	SocketOptions []socketmode.Option
	// Service tunes the conference service (timeouts, heartbeats); its
	// zero values take the defaults, and Main fills in what the settings
	// say.
	Service conference.Config
	// OnStart, if set, sees the running parts just before they connect.
	OnStart func(Running)
}

// Running is what Main started, for tests and the sandbox.
type Running struct {
	Bot     *bot.Bot
	Service *conference.Service
}

// Idle reports whether nothing is in flight: no envelope being recorded,
// no request running, no message being posted.
func (r Running) Idle() bool { return r.Bot.Busy() == 0 && r.Service.Busy() == 0 }

// Run connects and serves until ctx ends, then ends what it can at once and
// finishes PHLO requests already sent.
func (m *Main) Run(ctx context.Context) error {
	log := m.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := m.Settings
	cfg := m.Service

	if s.Directory != "" {
		d, err := directory.Load(s.Directory, s.DefaultRegion)
		if err != nil {
			return fmt.Errorf("MPC_DIRECTORY: %w", err)
		}
		cfg.Directory = d
		log.Info("loaded directory", "people", d.Len())
	}
	def := conference.Bridge{Name: conference.DefaultBridge, PhloID: s.PhloID, NodeID: s.PhloNodeID, Description: "PHLO_ID and PHLO_NODE_ID"}
	brs, err := conference.NewBridges(def)
	if s.Bridges != "" {
		brs, err = bridges.Load(s.Bridges, def)
	}
	if err != nil {
		return fmt.Errorf("MPC_BRIDGES: %w", err)
	}
	pol, err := s.Policy()
	if err != nil {
		return err
	}

	openCtx, cancelOpen := context.WithTimeout(ctx, dbOpenTimeout)
	st, err := store.Open(openCtx, store.Config{Path: s.DBPath, URL: s.DatabaseURL})
	cancelOpen()
	if err != nil {
		// The URL may hold a password: name the setting, not the value.
		if s.DatabaseURL != "" {
			return fmt.Errorf("MPC_DATABASE_URL: cannot open the database: %s", redactURL(err.Error(), s.DatabaseURL))
		}
		return fmt.Errorf("MPC_DB_PATH: %w", err)
	}
	defer st.Close()
	log.Info("opened the database", "backend", st.Backend())

	budget := s.RateLimit()
	pacer, err := phlo.NewPacer(budget)
	if err != nil {
		return fmt.Errorf("PHLO_RATE_LIMIT: %w", err)
	}
	pc, err := phlo.New(phlo.Config{
		BaseURL:      s.PhloBaseURL,
		AuthID:       s.PlivoAuthID,
		AuthToken:    s.PlivoAuthToken,
		Pacer:        pacer,
		NumberFormat: phlo.NumberFormat(s.PhloNumberFormat),
	})
	if err != nil {
		return err
	}
	defer pc.CloseIdleConnections()
	if err := checkBridgesAtStart(ctx, log, pc, brs); err != nil {
		return err
	}

	api := slack.New(s.SlackBotToken,
		slack.OptionAppLevelToken(s.SlackAppToken),
		slack.OptionAPIURL(s.SlackAPIURL),
		slack.OptionHTTPClient(&http.Client{Timeout: 20 * time.Second}),
		// Slack's 429s are safe to wait out: nothing was posted.
		slack.OptionRetryConfig(slack.RetryConfig{MaxRetries: 3, RetryAfterDuration: 5 * time.Second, RetryAfterJitter: time.Second}),
		slack.OptionLog(slog.NewLogLogger(log.Handler(), slog.LevelDebug)),
	)
	metrics := telemetry.NewMetrics()
	ws := bot.NewWorkspace(api, time.Now)

	cfg.Store = st
	cfg.Calls = &phlo.Switchboard{Client: pc}
	cfg.Bridges = brs
	cfg.Policy = pol
	cfg.Profiles = ws
	cfg.Groups = ws
	cfg.Logger = log
	cfg.Observer = metrics
	cfg.DefaultRegion = s.DefaultRegion
	cfg.DialsPerMinute = s.UserDialsPerMinute
	cfg.Retention = conference.Retention{Audit: s.AuditRetention(), Denials: s.DenialRetention()}
	if cfg.DeadAfter == 0 {
		cfg.DeadAfter, cfg.HeartbeatEvery, cfg.AdoptEvery = s.TakeoverAfter, s.TakeoverAfter/4, s.TakeoverAfter/2
	}
	svc, err := conference.New(cfg)
	if err != nil {
		return err
	}
	b, err := bot.New(bot.Config{
		API: api, Service: svc, Workspace: ws, DefaultRegion: s.DefaultRegion, ShowNumbers: s.ShowNumbers,
		Logger: log, Observer: metrics, SocketOptions: m.SocketOptions,
	})
	if err != nil {
		return err
	}

	if s.HTTPAddr != "" {
		stopHTTP, err := serveHTTP(s.HTTPAddr, telemetry.NewHandler(metrics,
			telemetry.Check{Name: "slack", Check: func(context.Context) error {
				if err := b.SlackFault(); err != nil {
					return err // for good: a revoked token, Socket Mode off
				}
				if !b.Connected() {
					return errors.New("not connected to Slack over Socket Mode yet, or reconnecting")
				}
				return nil
			}},
			telemetry.Check{Name: "database", Check: func(ctx context.Context) error {
				if err := st.Ping(ctx); err != nil {
					return errors.New("database unreachable")
				}
				if svc.StoreFault() != nil {
					return errors.New("database writes are failing")
				}
				return nil
			}},
		), log)
		if err != nil {
			return err
		}
		defer stopHTTP()
	}

	if m.OnStart != nil {
		m.OnStart(Running{Bot: b, Service: svc})
	}
	log.Info("mpc-bot starting", "instance", svc.Instance(), "slack_api", s.SlackAPIURL, "phlo_base", s.PhloBaseURL,
		"bridges", brs.Names(), "region", s.DefaultRegion, "phlo_budget", budget.String(), "number_format", s.PhloNumberFormat)

	// The service outlives the socket: when Slack goes away (or ctx ends)
	// it still ends what it accepted and tells people.
	svcCtx, stopService := context.WithCancel(ctx)
	defer stopService()
	svcDone := make(chan error, 1)
	go func() { svcDone <- svc.Run(svcCtx, b) }()
	select {
	case <-svc.Started():
	case err := <-svcDone:
		return err
	}

	err = b.Run(ctx)
	stopService()
	if serr := <-svcDone; serr != nil && err == nil {
		err = serr
	}
	b.Wait(10 * time.Second)
	// Say which setting, or which switch in the app's settings, to fix.
	var te *bot.TokenError
	switch {
	case errors.As(err, &te) && te.Token == bot.AppToken:
		return fmt.Errorf("%w (check SLACK_APP_TOKEN: an app-level token, xapp-…, with connections:write)", err)
	case errors.As(err, &te):
		return fmt.Errorf("%w (check SLACK_BOT_TOKEN: the app's Bot User OAuth Token, xoxb-…)", err)
	case errors.Is(err, bot.ErrSocketModeDisabled):
		return fmt.Errorf("%w, then start mpc-bot again", err)
	case errors.Is(err, bot.ErrSlackUnreachable):
		return fmt.Errorf("%w (check the network, any proxy settings and SLACK_API_URL)", err)
	}
	if err == nil {
		log.Info("mpc-bot stopped")
	}
	return err
}

// redactURL removes a database URL, which may carry a password, from text.
func redactURL(text, dbURL string) string {
	if dbURL == "" {
		return text
	}
	text = strings.ReplaceAll(text, dbURL, "MPC_DATABASE_URL")
	if u, err := url.Parse(dbURL); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			text = strings.ReplaceAll(text, pw, "•••")
		}
	}
	return text
}

// serveHTTP starts the health and metrics listener; the returned func
// stops it.
func serveHTTP(addr string, h http.Handler, log *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("MPC_HTTP_ADDR: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("HTTP listener failed", "err", err)
		}
	}()
	log.Info("serving /healthz, /readyz and /metrics", "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
