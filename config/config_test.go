package config

import (
	"bytes"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/mpc-bot/mpc-bot/phlo"
)

// TestREADMEListsEverySetting keeps the settings table, the public
// contract, in step with the code.
func TestREADMEListsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	section = section[strings.Index(section, "## Settings"):]
	section = section[:strings.Index(section[1:], "\n## ")+1]
	var documented []string
	for _, m := range regexp.MustCompile("(?m)^\\| (`[A-Z_]+`(?:, `[A-Z_]+`)*) \\|").FindAllStringSubmatch(section, -1) {
		for _, n := range strings.Split(m[1], ", ") {
			documented = append(documented, strings.Trim(n, "`"))
		}
	}
	names := Names()
	slices.Sort(documented)
	slices.Sort(names)
	if !slices.Equal(documented, names) {
		t.Errorf("README settings table lists %v;\nthe code reads %v", documented, names)
	}
}

func valid() Settings {
	s := Defaults()
	s.SlackBotToken, s.SlackAppToken, s.SlackAPIURL = "xoxb-1", "xapp-1", "https://slack.com/api"
	s.PlivoAuthID, s.PlivoAuthToken, s.PhloID, s.PhloNodeID = "MA1", "tok", "p", "n"
	s.DefaultRegion = "gb"
	return s
}

// env is an environment for one test: Load sees exactly these settings,
// whatever the process's own environment holds.
type env map[string]string

// load runs Load with e as the settings' environment; t.Setenv restores
// the real one afterwards (and keeps the test from running in parallel).
func (e env) load(t *testing.T) (Settings, error) {
	t.Helper()
	for _, name := range Names() {
		v, ok := e[name]
		t.Setenv(name, v)
		if !ok {
			os.Unsetenv(name)
		}
	}
	return Load()
}

func required() env {
	return env{
		"SLACK_BOT_TOKEN": "xoxb-secret-bot", "SLACK_APP_TOKEN": "xapp-secret-app",
		"PLIVO_AUTH_ID": "MAsecretid", "PLIVO_AUTH_TOKEN": "secret-token",
		"PHLO_ID": "phlo-secret", "PHLO_NODE_ID": "node-secret",
	}
}

// TestNamesAreEnvconfigs keeps Names, and the names in Load's errors,
// those envconfig reads.
func TestNamesAreEnvconfigs(t *testing.T) {
	var keys bytes.Buffer
	if err := envconfig.Usagef("", new(Settings), &keys, "{{range .}}{{usage_key .}} {{end}}"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(keys.String()); !slices.Equal(Names(), got) {
		t.Errorf("Names() = %v;\nenvconfig reads %v", Names(), got)
	}
	if n := reflect.TypeFor[Settings]().NumField(); len(Names()) != n {
		t.Errorf("%d names for %d settings", len(Names()), n)
	}
}

// TestEnvconfigSemantics shows Load reads as envconfig does: a default
// applies only where a variable is unset, one set empty stays empty (or
// is malformed), and envconfig.Process on Settings itself agrees wherever
// it succeeds.
func TestEnvconfigSemantics(t *testing.T) {
	s, err := required().load(t)
	if err != nil {
		t.Fatal(err)
	}
	if s.HTTPAddr != ":8080" || s.DBPath != "mpc-bot.db" || s.UserDialsPerMinute != 30 {
		t.Errorf("unset: defaults not applied: %+v", s)
	}

	e := required()
	e["MPC_HTTP_ADDR"], e["MPC_DB_PATH"], e["MPC_DATABASE_URL"] = "", "", "postgres://db/mpc"
	e["MPC_ALLOWED_CHANNELS"], e["MPC_SHOW_NUMBERS"], e["MPC_USER_DIALS_PER_MINUTE"] = "C0123ABCD,C0456EFGH", "true", "12"
	s, err = e.load(t)
	if err != nil {
		t.Fatal(err)
	}
	if s.HTTPAddr != "" || s.DBPath != "" {
		t.Errorf("set empty: got %q, %q, want both empty", s.HTTPAddr, s.DBPath)
	}
	var direct Settings
	if err := envconfig.Process("", &direct); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s, direct) {
		t.Errorf("Load:\n %+v\nenvconfig.Process:\n %+v", s, direct)
	}

	e = required()
	e["MPC_USER_DIALS_PER_MINUTE"] = ""
	if _, err := e.load(t); err == nil || !strings.Contains(err.Error(), "MPC_USER_DIALS_PER_MINUTE must be a whole number") {
		t.Errorf("a number set empty took its default: %v", err)
	}
}

func TestDefaults(t *testing.T) {
	s, err := required().load(t)
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{
		SlackBotToken: "xoxb-secret-bot", SlackAppToken: "xapp-secret-app", SlackAPIURL: "https://slack.com/api/",
		PlivoAuthID: "MAsecretid", PlivoAuthToken: "secret-token", PhloID: "phlo-secret", PhloNodeID: "node-secret",
		PhloBaseURL: "https://phlorunner.plivo.com", PhloRateLimit: "300/5s", PhloNumberFormat: string(phlo.NumberE164),
		DefaultRegion: "US", LogLevel: "info", HTTPAddr: ":8080", DBPath: "mpc-bot.db",
		UserDialsPerMinute: 30, AuditRetentionDays: 90, DenialRetentionDays: 7, TakeoverAfter: 20 * time.Second,
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", s, want)
	}
	if s.RateLimit().Requests != 300 || s.RateLimit().Per != 5*time.Second {
		t.Errorf("rate limit %d/%v", s.RateLimit().Requests, s.RateLimit().Per)
	}
	if s.AuditRetention() != 90*24*time.Hour || s.DenialRetention() != 7*24*time.Hour {
		t.Errorf("retention %v, %v", s.AuditRetention(), s.DenialRetention())
	}
	d := Defaults()
	d.SlackAPIURL = s.SlackAPIURL
	d.SlackBotToken, d.SlackAppToken, d.PlivoAuthID, d.PlivoAuthToken, d.PhloID, d.PhloNodeID =
		s.SlackBotToken, s.SlackAppToken, s.PlivoAuthID, s.PlivoAuthToken, s.PhloID, s.PhloNodeID
	if !reflect.DeepEqual(d, s) {
		t.Errorf("Defaults() = %+v, differs from an empty environment's %+v", d, s)
	}
}

func TestLoadReadsEveryType(t *testing.T) {
	e := required()
	e["MPC_HTTP_ADDR"] = "" // set but empty: turns the server off, not the default
	e["MPC_ALLOWED_CHANNELS"] = "C0123ABCD,C0456EFGH"
	e["MPC_SHOW_NUMBERS"] = "true"
	e["MPC_USER_DIALS_PER_MINUTE"] = " 12 "
	e["PHLO_RATE_LIMIT"] = "100/1m"
	e["PHLO_NUMBER_FORMAT"] = "DIGITS"
	e["MPC_BRIDGES"] = "/etc/mpc-bot/bridges.yaml"
	e["MPC_AUDIT_RETENTION_DAYS"] = "365"
	e["MPC_DENIAL_RETENTION_DAYS"] = "1"
	s, err := e.load(t)
	if err != nil {
		t.Fatal(err)
	}
	if s.HTTPAddr != "" || !slices.Equal(s.AllowedChannels, []string{"C0123ABCD", "C0456EFGH"}) || !s.ShowNumbers ||
		s.UserDialsPerMinute != 12 || s.RateLimit().Requests != 100 || s.RateLimit().Per != time.Minute ||
		s.PhloNumberFormat != string(phlo.NumberDigits) || s.Bridges != "/etc/mpc-bot/bridges.yaml" ||
		s.AuditRetentionDays != 365 || s.DenialRetentionDays != 1 {
		t.Errorf("not read as set: %+v", s)
	}
}

func TestLoadNamesEveryProblemWithoutValues(t *testing.T) {
	e := required()
	delete(e, "SLACK_BOT_TOKEN")
	delete(e, "PHLO_NODE_ID")
	e["SLACK_APP_TOKEN"] = "xoxp-secret-user"
	e["MPC_USER_DIALS_PER_MINUTE"] = "lots"
	e["MPC_SHOW_NUMBERS"] = "perhaps"
	e["MPC_AUDIT_RETENTION_DAYS"] = "forever"
	e["MPC_DENIAL_RETENTION_DAYS"] = "0"
	e["PHLO_RATE_LIMIT"] = "300 every 5s"
	e["PHLO_NUMBER_FORMAT"] = "national"
	e["MPC_LOG_LEVEL"] = "chatty"
	_, err := e.load(t)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{
		"missing required settings: SLACK_BOT_TOKEN, PHLO_NODE_ID",
		"SLACK_APP_TOKEN must be an app-level token",
		"MPC_USER_DIALS_PER_MINUTE must be a whole number",
		"MPC_SHOW_NUMBERS must be true or false",
		"MPC_AUDIT_RETENTION_DAYS must be a whole number",
		"MPC_DENIAL_RETENTION_DAYS must be a whole number of days from 1",
		"PHLO_RATE_LIMIT must be <requests>/<duration>",
		"PHLO_NUMBER_FORMAT must be e164",
		"MPC_LOG_LEVEL must be",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
	if strings.Count(msg, "MPC_USER_DIALS_PER_MINUTE") != 1 || strings.Count(msg, "MPC_AUDIT_RETENTION_DAYS") != 1 {
		t.Errorf("a malformed setting is reported twice: %q", msg)
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("not one line: %q", msg)
	}
	for _, v := range e {
		if len(v) > 1 && strings.Contains(msg, v) {
			t.Errorf("%q repeats the value %q", msg, v)
		}
	}
}

func TestRateLimit(t *testing.T) {
	for in, want := range map[string]struct {
		n   int
		per time.Duration
	}{
		"300/5s": {300, 5 * time.Second}, "1/1ms": {1, time.Millisecond}, " 50 / 1m ": {50, time.Minute},
	} {
		s := valid()
		s.PhloRateLimit = in
		if err := s.Validate(); err != nil || s.RateLimit().Requests != want.n || s.RateLimit().Per != want.per {
			t.Errorf("%q: %v, %d/%v", in, err, s.RateLimit().Requests, s.RateLimit().Per)
		}
	}
	for _, in := range []string{"", "300", "/5s", "300/", "0/5s", "-1/5s", "300/0s", "300/-5s", "300/5", "x/5s", "300/5s/1", "1.5/5s", "300/2h", "2000000/5s", "300/500us"} {
		s := valid()
		s.PhloRateLimit = in
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "PHLO_RATE_LIMIT") {
			t.Errorf("%q: %v", in, err)
		}
		if s.RateLimit().Requests != 0 || s.RateLimit().Per != 0 {
			t.Errorf("%q: parsed as %d/%v", in, s.RateLimit().Requests, s.RateLimit().Per)
		}
	}
}

func TestRetentionBounds(t *testing.T) {
	for _, days := range []int{-1, 0, maxRetentionDays + 1} {
		s := valid()
		s.AuditRetentionDays, s.DenialRetentionDays = days, days
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), "MPC_AUDIT_RETENTION_DAYS") || !strings.Contains(err.Error(), "MPC_DENIAL_RETENTION_DAYS") {
			t.Errorf("%d days: %v", days, err)
		}
	}
}

func TestValidateNormalises(t *testing.T) {
	s := valid()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.SlackAPIURL != "https://slack.com/api/" || s.DefaultRegion != "GB" {
		t.Errorf("not normalised: %q %q", s.SlackAPIURL, s.DefaultRegion)
	}
}

func TestValidateNamesEveryProblem(t *testing.T) {
	s := valid()
	s.SlackBotToken, s.PhloID = "", ""
	s.AllowedChannels = []string{"general"}
	s.AllowedDestinations = []string{"44"}
	s.UserDialsPerMinute = 0
	s.LogLevel = "loud"
	err := s.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"missing required settings: SLACK_BOT_TOKEN, PHLO_ID", "MPC_ALLOWED_CHANNELS", "MPC_ALLOWED_DESTINATIONS", "MPC_USER_DIALS_PER_MINUTE", "MPC_LOG_LEVEL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

// TestPHLOBaseURLTakesTheClientsRules: what passes here is what the PHLO
// client takes, so the bot never fails later on a setting that passed.
func TestPHLOBaseURLTakesTheClientsRules(t *testing.T) {
	for _, in := range []string{"https://phlorunner.plivo.com/v1", "https://user:pass@phlorunner.plivo.com", "https://phlorunner.plivo.com?x=1", "ftp://phlorunner.plivo.com", "phlorunner.plivo.com"} {
		s := valid()
		s.PhloBaseURL = in
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), "PHLO_BASE_URL must be") {
			t.Errorf("%q: %v", in, err)
		}
		if err != nil && strings.Contains(err.Error(), "pass") {
			t.Errorf("%q: the error repeats the value: %v", in, err)
		}
	}
	s := valid()
	s.PhloBaseURL = "http://127.0.0.1:8080/"
	if err := s.Validate(); err != nil {
		t.Errorf("a local fake's URL: %v", err)
	}
}
