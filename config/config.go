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
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/mpc-bot/mpc-bot/address"
	"github.com/mpc-bot/mpc-bot/conference"
	"github.com/mpc-bot/mpc-bot/phlo"
)

// Settings are mpc-bot's environment variables. Their names are a public
// contract (README, "Settings"): add, never rename. The envconfig and
// default tags are the one source of names and defaults; Load has
// envconfig read them (see Load).
type Settings struct {
	SlackBotToken  string `envconfig:"SLACK_BOT_TOKEN"`
	SlackAppToken  string `envconfig:"SLACK_APP_TOKEN"`
	SlackAPIURL    string `envconfig:"SLACK_API_URL" default:"https://slack.com/api/"`
	PlivoAuthID    string `envconfig:"PLIVO_AUTH_ID"`
	PlivoAuthToken string `envconfig:"PLIVO_AUTH_TOKEN"`
	PhloID         string `envconfig:"PHLO_ID"`
	PhloNodeID     string `envconfig:"PHLO_NODE_ID"`
	PhloBaseURL    string `envconfig:"PHLO_BASE_URL" default:"https://phlorunner.plivo.com"`
	// PhloRateLimit is the account's PHLO request budget,
	// "<requests>/<duration>": Plivo allows 300 API requests per 5 s per
	// account, less when other software shares it. See RateLimitRequests.
	PhloRateLimit string `envconfig:"PHLO_RATE_LIMIT" default:"300/5s"`
	// PhloNumberFormat is NumberE164 or NumberDigits: Plivo's own material
	// disagrees on whether numbers carry the "+".
	PhloNumberFormat string `envconfig:"PHLO_NUMBER_FORMAT" default:"e164"`
	Directory        string `envconfig:"MPC_DIRECTORY"`
	// Bridges names a YAML file of more bridges than PHLO_ID's (package
	// bridges); empty means that one only.
	Bridges       string `envconfig:"MPC_BRIDGES"`
	DefaultRegion string `envconfig:"MPC_DEFAULT_REGION" default:"US"`
	LogLevel      string `envconfig:"MPC_LOG_LEVEL" default:"info"`
	// HTTPAddr serves /healthz, /readyz and /metrics; empty turns it off.
	HTTPAddr string `envconfig:"MPC_HTTP_ADDR" default:":8080"`

	DBPath      string `envconfig:"MPC_DB_PATH" default:"mpc-bot.db"`
	DatabaseURL string `envconfig:"MPC_DATABASE_URL"`
	// AuditRetentionDays and DenialRetentionDays are how long the audit
	// trail keeps adds and refusals; refusals are many and matter briefly.
	AuditRetentionDays  int `envconfig:"MPC_AUDIT_RETENTION_DAYS" default:"90"`
	DenialRetentionDays int `envconfig:"MPC_DENIAL_RETENTION_DAYS" default:"7"`
	// TakeoverAfter is how long after a replica's last heartbeat another
	// takes over the requests it accepted and tells their people.
	TakeoverAfter time.Duration `envconfig:"MPC_TAKEOVER_AFTER" default:"20s"`

	AllowedChannels     []string `envconfig:"MPC_ALLOWED_CHANNELS"`
	AllowedUsers        []string `envconfig:"MPC_ALLOWED_USERS"`
	AllowedUserGroups   []string `envconfig:"MPC_ALLOWED_USERGROUPS"`
	AllowedDestinations []string `envconfig:"MPC_ALLOWED_DESTINATIONS"`
	ShowNumbers         bool     `envconfig:"MPC_SHOW_NUMBERS" default:"false"`
	UserDialsPerMinute  int      `envconfig:"MPC_USER_DIALS_PER_MINUTE" default:"30"`
}

// Policy builds the allow-lists the settings describe.
func (s *Settings) Policy() (*conference.Policy, error) {
	return conference.NewPolicy(conference.PolicyConfig{
		Channels: s.AllowedChannels, Users: s.AllowedUsers,
		UserGroups: s.AllowedUserGroups, Destinations: s.AllowedDestinations,
	})
}

// maxRetentionDays keeps a retention period well inside time.Duration.
const maxRetentionDays = 36500

// Load reads the environment through envconfig, with Settings' tags. The
// error names every missing or malformed setting at once, in one line, and
// never a value, since most are secrets. (envconfig.Process on Settings
// itself would stop at the first malformed value and repeat it, so it
// fills a text-only mirror of Settings, which Load converts and checks.)
func Load() (Settings, error) {
	m := reflect.New(mirror)
	if err := envconfig.Process("", m.Interface()); err != nil {
		// Unreachable: text.Decode accepts anything, so no ParseError,
		// which alone would carry a value.
		return Settings{}, fmt.Errorf("config: %w", err)
	}
	var s Settings
	malformed := s.convert(m.Elem())
	return s, s.validate(malformed)
}

// Defaults returns every setting at its default, as Load reads an empty
// environment but without reading or checking it: a base for tests and
// the sandbox.
func Defaults() Settings {
	m := reflect.New(mirror).Elem()
	for i := range mirror.NumField() {
		// As envconfig.Process does for an unset variable, an empty
		// default is none.
		if d := mirror.Field(i).Tag.Get("default"); d != "" {
			_ = m.Field(i).Addr().Interface().(*text).Decode(d)
		}
	}
	var s Settings
	s.convert(m)
	return s
}

// text is a setting's text as envconfig found it, a default included; set
// is false when envconfig left it alone (unset, no default), so the field
// keeps its zero value.
type text struct {
	value string
	set   bool
}

// Decode implements envconfig.Decoder; it never fails, so envconfig never
// stops at, or repeats, a value.
func (t *text) Decode(value string) error {
	t.value, t.set = value, true
	return nil
}

// mirror is Settings with every field a text and the same tags, for
// envconfig.Process to fill.
var mirror = func() reflect.Type {
	st := reflect.TypeFor[Settings]()
	fields := make([]reflect.StructField, st.NumField())
	for i := range fields {
		f := st.Field(i)
		fields[i] = reflect.StructField{Name: f.Name, Type: reflect.TypeFor[text](), Tag: f.Tag}
	}
	return reflect.StructOf(fields)
}()

// problem is one malformed setting; msg names it and says what it must be.
type problem struct{ name, msg string }

// convert fills s from m, a filled mirror, carrying on past a malformed
// value and reporting it by name only.
func (s *Settings) convert(m reflect.Value) []problem {
	var bad []problem
	v := reflect.ValueOf(s).Elem()
	for i := range v.NumField() {
		t := m.Field(i).Interface().(text)
		if !t.set {
			continue
		}
		if want := setField(v.Field(i), t.value); want != "" {
			name := v.Type().Field(i).Tag.Get("envconfig")
			bad = append(bad, problem{name, name + " must be " + want})
		}
	}
	return bad
}

// setField stores value in field and returns "", or what value should
// have been. Unlike envconfig it allows spaces around numbers and
// booleans.
func setField(field reflect.Value, value string) (want string) {
	switch field.Interface().(type) {
	case string:
		field.SetString(value)
	case int:
		n, err := strconv.Atoi(strings.TrimSpace(value))
		if err != nil {
			return "a whole number"
		}
		field.SetInt(int64(n))
	case bool:
		b, err := strconv.ParseBool(strings.TrimSpace(value))
		if err != nil {
			return "true or false"
		}
		field.SetBool(b)
	case time.Duration:
		d, err := time.ParseDuration(strings.TrimSpace(value))
		if err != nil {
			return "a duration such as 20s"
		}
		field.SetInt(int64(d))
	case []string:
		var list []string
		if strings.TrimSpace(value) != "" {
			list = strings.Split(value, ",")
		}
		field.Set(reflect.ValueOf(list))
	default:
		// A new field of another type needs a case here; TestDefaults
		// finds it.
		panic("config: cannot read a setting of type " + field.Type().String())
	}
	return ""
}

// Validate checks s as Load does, and normalises it.
func (s *Settings) Validate() error { return s.validate(nil) }

// validate reports malformed and every other problem, in one line. A
// setting already malformed is not also reported as out of range.
func (s *Settings) validate(malformed []problem) error {
	var missing []string
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
	bad := slices.Clone(malformed)
	check := func(ok bool, name, msg string) {
		if !ok && !slices.ContainsFunc(malformed, func(p problem) bool { return p.name == name }) {
			bad = append(bad, problem{name, msg})
		}
	}
	check(s.SlackBotToken == "" || strings.HasPrefix(s.SlackBotToken, "xoxb-"),
		"SLACK_BOT_TOKEN", "SLACK_BOT_TOKEN must be a bot token (xoxb-…)")
	check(s.SlackAppToken == "" || strings.HasPrefix(s.SlackAppToken, "xapp-"),
		"SLACK_APP_TOKEN", "SLACK_APP_TOKEN must be an app-level token with connections:write (xapp-…)")
	p, err := url.Parse(s.SlackAPIURL)
	check(err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != "",
		"SLACK_API_URL", "SLACK_API_URL must be an http(s) URL")
	// The PHLO settings are checked by the PHLO client's own rules, so
	// that what passes here is what the client takes.
	check(phlo.CheckBaseURL(s.PhloBaseURL) == nil,
		"PHLO_BASE_URL", "PHLO_BASE_URL must be an http(s) URL without credentials, query or /v1, such as https://phlorunner.plivo.com")
	_, err = phlo.ParseBudget(s.PhloRateLimit)
	check(err == nil, "PHLO_RATE_LIMIT", "PHLO_RATE_LIMIT must be <requests>/<duration>, such as 300/5s: 1 to 1000000 requests per 1ms to 1h")
	format := phlo.NumberFormat(strings.ToLower(strings.TrimSpace(s.PhloNumberFormat)))
	check(format.Valid(),
		"PHLO_NUMBER_FORMAT", "PHLO_NUMBER_FORMAT must be e164 (+14155550100) or digits (14155550100)")
	check(address.ValidRegion(s.DefaultRegion),
		"MPC_DEFAULT_REGION", "MPC_DEFAULT_REGION must be a two-letter region code such as US or GB")
	_, err = parseLevel(s.LogLevel)
	check(err == nil, "MPC_LOG_LEVEL", "MPC_LOG_LEVEL must be debug, info, warn or error")
	if _, err := s.Policy(); err != nil {
		bad = append(bad, problem{"", err.Error()})
	}
	check(s.UserDialsPerMinute >= 1, "MPC_USER_DIALS_PER_MINUTE", "MPC_USER_DIALS_PER_MINUTE must be at least 1")
	check(s.DatabaseURL != "" || s.DBPath != "", "MPC_DB_PATH", "MPC_DB_PATH must name a file when MPC_DATABASE_URL is not set")
	for _, r := range []struct {
		name string
		days int
	}{{"MPC_AUDIT_RETENTION_DAYS", s.AuditRetentionDays}, {"MPC_DENIAL_RETENTION_DAYS", s.DenialRetentionDays}} {
		check(r.days >= 1 && r.days <= maxRetentionDays,
			r.name, fmt.Sprintf("%s must be a whole number of days from 1 to %d", r.name, maxRetentionDays))
	}
	check(s.TakeoverAfter >= 2*time.Second && s.TakeoverAfter <= 10*time.Minute,
		"MPC_TAKEOVER_AFTER", "MPC_TAKEOVER_AFTER must be a duration from 2s to 10m")
	var msgs []string
	if len(missing) > 0 {
		msgs = append(msgs, "missing required settings: "+strings.Join(missing, ", "))
	}
	for _, p := range bad {
		msgs = append(msgs, p.msg)
	}
	if len(msgs) > 0 {
		return errors.New(strings.Join(msgs, "; ") + " (see README.md, \"Settings\")")
	}
	if !strings.HasSuffix(s.SlackAPIURL, "/") {
		s.SlackAPIURL += "/"
	}
	s.DefaultRegion = strings.ToUpper(s.DefaultRegion)
	s.PhloNumberFormat = string(format)
	return nil
}

// RateLimit is PHLO_RATE_LIMIT as a budget; the zero Budget while the
// setting is malformed.
func (s *Settings) RateLimit() phlo.Budget {
	b, _ := phlo.ParseBudget(s.PhloRateLimit)
	return b
}

// AuditRetention is MPC_AUDIT_RETENTION_DAYS as a duration.
func (s *Settings) AuditRetention() time.Duration { return days(s.AuditRetentionDays) }

// DenialRetention is MPC_DENIAL_RETENTION_DAYS as a duration.
func (s *Settings) DenialRetention() time.Duration { return days(s.DenialRetentionDays) }

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

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
