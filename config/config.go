// Package config reads mpc-bot's settings from the environment. The
// variables' names are a public contract (README, "Settings"): add, never
// rename.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"strings"

	"github.com/kelseyhightower/envconfig"

	"github.com/mpc-bot/mpc-bot/address"
	"github.com/mpc-bot/mpc-bot/policy"
)

// Settings are mpc-bot's environment variables. Their names are a public
// contract (README, "Settings"): add, never rename.
type Settings struct {
	SlackBotToken  string `envconfig:"SLACK_BOT_TOKEN"`
	SlackAppToken  string `envconfig:"SLACK_APP_TOKEN"`
	SlackAPIURL    string `envconfig:"SLACK_API_URL" default:"https://slack.com/api/"`
	PlivoAuthID    string `envconfig:"PLIVO_AUTH_ID"`
	PlivoAuthToken string `envconfig:"PLIVO_AUTH_TOKEN"`
	PhloID         string `envconfig:"PHLO_ID"`
	PhloNodeID     string `envconfig:"PHLO_NODE_ID"`
	PhloBaseURL    string `envconfig:"PHLO_BASE_URL" default:"https://phlorunner.plivo.com"`
	Directory      string `envconfig:"MPC_DIRECTORY"`
	DefaultRegion  string `envconfig:"MPC_DEFAULT_REGION" default:"US"`
	LogLevel       string `envconfig:"MPC_LOG_LEVEL" default:"info"`
	// HTTPAddr serves /healthz, /readyz and /metrics; empty turns it off.
	HTTPAddr string `envconfig:"MPC_HTTP_ADDR" default:":8080"`

	DBPath      string `envconfig:"MPC_DB_PATH" default:"mpc-bot.db"`
	DatabaseURL string `envconfig:"MPC_DATABASE_URL"`

	AllowedChannels     []string `envconfig:"MPC_ALLOWED_CHANNELS"`
	AllowedUsers        []string `envconfig:"MPC_ALLOWED_USERS"`
	AllowedUserGroups   []string `envconfig:"MPC_ALLOWED_USERGROUPS"`
	AllowedDestinations []string `envconfig:"MPC_ALLOWED_DESTINATIONS"`
	ShowNumbers         bool     `envconfig:"MPC_SHOW_NUMBERS" default:"false"`
	UserDialsPerMinute  int      `envconfig:"MPC_USER_DIALS_PER_MINUTE" default:"30"`
}

// Policy builds the allow-lists the settings describe.
func (s *Settings) Policy() (*policy.Policy, error) {
	return policy.New(policy.Config{
		Channels: s.AllowedChannels, Users: s.AllowedUsers,
		UserGroups: s.AllowedUserGroups, Destinations: s.AllowedDestinations,
	})
}

// Load reads the environment. The error names every missing or
// malformed setting at once, and never a value, since most are secrets.
func Load() (Settings, error) {
	var s Settings
	if err := envconfig.Process("", &s); err != nil {
		return s, fmt.Errorf("settings: %w", err)
	}
	return s, s.Validate()
}

// Validate checks s as Load does, and normalises it.
func (s *Settings) Validate() error {
	var missing, bad []string
	for _, r := range []struct{ name, value string }{
		{"SLACK_BOT_TOKEN", s.SlackBotToken},
		{"SLACK_APP_TOKEN", s.SlackAppToken},
		{"PLIVO_AUTH_ID", s.PlivoAuthID},
		{"PLIVO_AUTH_TOKEN", s.PlivoAuthToken},
		{"PHLO_ID", s.PhloID},
		{"PHLO_NODE_ID", s.PhloNodeID},
	} {
		if strings.TrimSpace(r.value) == "" {
			missing = append(missing, r.name)
		}
	}
	if s.SlackBotToken != "" && !strings.HasPrefix(s.SlackBotToken, "xoxb-") {
		bad = append(bad, "SLACK_BOT_TOKEN must be a bot token (xoxb-…)")
	}
	if s.SlackAppToken != "" && !strings.HasPrefix(s.SlackAppToken, "xapp-") {
		bad = append(bad, "SLACK_APP_TOKEN must be an app-level token with connections:write (xapp-…)")
	}
	for _, u := range []struct{ name, value string }{{"SLACK_API_URL", s.SlackAPIURL}, {"PHLO_BASE_URL", s.PhloBaseURL}} {
		if p, err := url.Parse(u.value); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			bad = append(bad, u.name+" must be an http(s) URL")
		}
	}
	if !address.ValidRegion(s.DefaultRegion) {
		bad = append(bad, "MPC_DEFAULT_REGION must be a two-letter region code such as US or GB")
	}
	if _, err := parseLevel(s.LogLevel); err != nil {
		bad = append(bad, "MPC_LOG_LEVEL must be debug, info, warn or error")
	}
	if _, err := s.Policy(); err != nil {
		bad = append(bad, err.Error())
	}
	if s.UserDialsPerMinute < 1 {
		bad = append(bad, "MPC_USER_DIALS_PER_MINUTE must be at least 1")
	}
	if s.DatabaseURL == "" && s.DBPath == "" {
		bad = append(bad, "MPC_DB_PATH must name a file when MPC_DATABASE_URL is not set")
	}
	var msgs []string
	if len(missing) > 0 {
		msgs = append(msgs, "missing required settings: "+strings.Join(missing, ", "))
	}
	msgs = append(msgs, bad...)
	if len(msgs) > 0 {
		return errors.New(strings.Join(msgs, "; ") + " (see README.md, \"Settings\")")
	}
	if !strings.HasSuffix(s.SlackAPIURL, "/") {
		s.SlackAPIURL += "/"
	}
	s.DefaultRegion = strings.ToUpper(s.DefaultRegion)
	return nil
}

// Level returns the slog level MPC_LOG_LEVEL names.
func (s *Settings) Level() slog.Level {
	l, _ := parseLevel(s.LogLevel)
	return l
}

// Names lists every setting's environment variable, for tooling that must
// agree with this package (the Kubernetes manifests' test).
func Names() []string {
	var names []string
	t := reflect.TypeOf(Settings{})
	for i := range t.NumField() {
		if n := t.Field(i).Tag.Get("envconfig"); n != "" {
			names = append(names, n)
		}
	}
	return names
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s))
	return l, err
}
