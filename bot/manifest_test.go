package bot

import (
	"os"
	"slices"
	"testing"

	"github.com/goccy/go-yaml"
)

// appManifest is the part of a Slack app manifest the code depends on.
type appManifest struct {
	Features struct {
		AppHome struct {
			HomeTab     bool `yaml:"home_tab_enabled"`
			MessagesTab bool `yaml:"messages_tab_enabled"`
		} `yaml:"app_home"`
		SlashCommands []struct {
			Command   string `yaml:"command"`
			UsageHint string `yaml:"usage_hint"`
		} `yaml:"slash_commands"`
		Shortcuts []struct {
			CallbackID string `yaml:"callback_id"`
			Type       string `yaml:"type"`
		} `yaml:"shortcuts"`
	} `yaml:"features"`
	OAuth struct {
		Scopes struct {
			Bot []string `yaml:"bot"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		Events struct {
			Bot []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
		SocketMode bool `yaml:"socket_mode_enabled"`
	} `yaml:"settings"`
}

func readManifest(t *testing.T, path string) appManifest {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m appManifest
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// TestManifestAsksForWhatTheCodeUses keeps manifest.yaml and the code in
// step: the scopes it asks for are exactly the ones used, every event the
// code handles is subscribed, and the command and shortcut exist.
func TestManifestAsksForWhatTheCodeUses(t *testing.T) {
	m := readManifest(t, "../manifest.yaml")
	got, want := slices.Sorted(slices.Values(m.OAuth.Scopes.Bot)), slices.Sorted(slices.Values(Scopes()))
	if !slices.Equal(got, want) {
		t.Errorf("manifest scopes %v, code uses %v", got, want)
	}
	if events := slices.Sorted(slices.Values(m.Settings.Events.Bot)); !slices.Equal(events, slices.Sorted(slices.Values(Events()))) {
		t.Errorf("manifest events %v, code handles %v", events, Events())
	}
	if !m.Settings.SocketMode || !m.Features.AppHome.HomeTab || !m.Features.AppHome.MessagesTab {
		t.Errorf("socket mode, Home tab and Messages tab must be on: %+v", m)
	}
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/mpc-add" {
		t.Errorf("slash commands %+v", m.Features.SlashCommands)
	}
	// Slack cuts usage hints off in its menu; keep it short.
	if hint := m.Features.SlashCommands[0].UsageHint; len([]rune(hint)) > 60 {
		t.Errorf("usage_hint is %d characters; Slack shows about 60", len([]rune(hint)))
	}
	if len(m.Features.Shortcuts) != 1 || m.Features.Shortcuts[0].CallbackID != shortcutCallbackID || m.Features.Shortcuts[0].Type != "message" {
		t.Errorf("shortcuts %+v", m.Features.Shortcuts)
	}
}
