// Command mpc-bot lets Slack users add people to a running Plivo PHLO
// Multi-Party Call with /mpc-add. It connects over Socket Mode, so it needs
// no public URL. Settings come from the environment; see README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mpc-bot/mpc-bot/bot"
	"github.com/mpc-bot/mpc-bot/directory"
	"github.com/mpc-bot/mpc-bot/phlo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mpc-bot:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected arguments %q: mpc-bot takes its settings from the environment (see README.md)", args)
	}
	s, err := LoadSettings()
	if err != nil {
		return err
	}
	level, _ := parseLevel(s.LogLevel)
	m := &Main{Settings: s, Logger: slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))}
	return m.Run(ctx)
}

// Main is the wired program: settings in, a running bot out. Tests build one
// against the fake Slack and fake PHLO and run it in-process.
type Main struct {
	Settings Settings
	Logger   *slog.Logger
	// SocketOptions tune the Socket Mode client; tests shorten timeouts.
	SocketOptions []socketmode.Option
	// Bot tunes the bot; zero values take bot.New's defaults.
	Bot bot.Config
}

// Run connects and serves until ctx ends, then finishes adds in flight.
func (m *Main) Run(ctx context.Context) error {
	log := m.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := m.Settings

	var dir *directory.Directory
	if s.Directory != "" {
		d, err := directory.Load(s.Directory, s.DefaultRegion)
		if err != nil {
			return fmt.Errorf("MPC_DIRECTORY: %w", err)
		}
		dir = d
		log.Info("loaded directory", "people", d.Len())
	}

	pc, err := phlo.New(phlo.Config{
		BaseURL:   s.PhloBaseURL,
		AuthID:    s.PlivoAuthID,
		AuthToken: s.PlivoAuthToken,
		PhloID:    s.PhloID,
		NodeID:    s.PhloNodeID,
	})
	if err != nil {
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

	cfg := m.Bot
	cfg.API = api
	cfg.PHLO = pc
	if dir != nil {
		cfg.Directory = dir
	}
	cfg.DefaultRegion = s.DefaultRegion
	cfg.Logger = log
	cfg.SocketOptions = append(cfg.SocketOptions, m.SocketOptions...)
	b, err := bot.New(cfg)
	if err != nil {
		return err
	}
	log.Info("mpc-bot starting", "slack_api", s.SlackAPIURL, "phlo_base", s.PhloBaseURL, "phlo_id", s.PhloID, "node_id", s.PhloNodeID, "region", s.DefaultRegion)
	err = b.Run(ctx)
	if errors.Is(err, bot.ErrSlackAuth) {
		return fmt.Errorf("%w (check SLACK_APP_TOKEN: an app-level token with connections:write, and Socket Mode enabled)", err)
	}
	if err == nil {
		log.Info("mpc-bot stopped")
	}
	return err
}
