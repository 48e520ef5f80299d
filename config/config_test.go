package config

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
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
	return Settings{
		SlackBotToken: "xoxb-1", SlackAppToken: "xapp-1", SlackAPIURL: "https://slack.com/api",
		PlivoAuthID: "MA1", PlivoAuthToken: "tok", PhloID: "p", PhloNodeID: "n",
		PhloBaseURL: "https://phlorunner.plivo.com", DefaultRegion: "gb", LogLevel: "info",
		DBPath: "mpc-bot.db", UserDialsPerMinute: 30,
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
