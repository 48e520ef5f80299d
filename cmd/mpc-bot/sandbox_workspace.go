package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/mpc-bot/mpc-bot/blocktext"
	"github.com/mpc-bot/mpc-bot/bot/slacktest"
	"github.com/mpc-bot/mpc-bot/config"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

// The sandbox workspace: who is there and what they have.
const (
	sandboxChannel     = "C0INCIDENT"
	sandboxChannelName = "incident"
	sandboxYou         = "U0YOU"
	sandboxGroup       = "S0ONCALL"
	sandboxGroupName   = "oncall"
)

// sandboxPeople is a function, not a variable, so that nothing at package
// level can be changed.
func sandboxPeople() []slacktest.User {
	return []slacktest.User{
		{ID: sandboxYou, Name: "you", Phone: "+1 415 555 0199"},
		{ID: "U0ALICE", Name: "alice", Phone: "+1 415 555 0101"},
		{ID: "U0BOB", Name: "bob"}, // in the directory file, as a SIP address
		{ID: "U0CAROL", Name: "carol"},
	}
}

const sandboxDirectory = `users:
  U0BOB: "sip:bob@example.sip.plivo.com"
`

// The second bridge, so the form asks which bridge and /mpc-add bridge
// has something to say. The fake PHLO serves its node too.
const (
	sandboxBridge     = "dbs"
	sandboxBridgePhlo = "5d7e9a1c-3b2f-4e6d-8c9a-1f2e3d4c5b03"
	sandboxBridgeNode = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c04"
)

// sandboxBridges is the MPC_BRIDGES file.
func sandboxBridges() string {
	return fmt.Sprintf("bridges:\n  %s:\n    phlo_id: %q\n    node_id: %q\n    description: \"Database incidents\"\n",
		sandboxBridge, sandboxBridgePhlo, sandboxBridgeNode)
}

// sandboxPHLO is the fake PHLO's configuration: the default bridge's node
// and the second bridge's.
func sandboxPHLO() phlotest.Config {
	return phlotest.Config{Nodes: []phlotest.Node{{PhloID: sandboxBridgePhlo, NodeID: sandboxBridgeNode, PhloName: "dbs bridge"}}}
}

// newSandboxSlack is the fake workspace.
func newSandboxSlack() *slacktest.Server {
	fs := slacktest.NewServer()
	for _, u := range sandboxPeople() {
		fs.AddUser(u)
	}
	fs.AddUserGroup(sandboxGroup, sandboxGroupName, "U0ALICE", "U0BOB")
	fs.AddChannel(slacktest.Channel{ID: sandboxChannel, Name: sandboxChannelName, BotIsMember: true})
	return fs
}

// sandboxSettings are complete settings for the fakes: the defaults, the
// fakes' tokens and URLs, and files in dir. The health listener stays off:
// its default port may be taken.
func sandboxSettings(dir string, fs *slacktest.Server, fp *phlotest.Server) (config.Settings, error) {
	files := map[string]string{"directory.yaml": sandboxDirectory, "bridges.yaml": sandboxBridges()}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			return config.Settings{}, fmt.Errorf("sandbox: write %s: %w", name, err)
		}
	}
	cfg := fp.Config()
	s := config.Defaults()
	s.SlackBotToken, s.SlackAppToken, s.SlackAPIURL = slacktest.BotToken, slacktest.AppToken, fs.APIURL()
	s.PlivoAuthID, s.PlivoAuthToken = cfg.AuthID, cfg.AuthToken
	s.PhloID, s.PhloNodeID, s.PhloBaseURL = cfg.PhloID, cfg.NodeID, fp.URL()
	s.Directory = filepath.Join(dir, "directory.yaml")
	s.Bridges = filepath.Join(dir, "bridges.yaml")
	s.DBPath = filepath.Join(dir, "sandbox.db")
	s.HTTPAddr = ""
	if err := s.Validate(); err != nil {
		return config.Settings{}, fmt.Errorf("sandbox: settings: %w", err)
	}
	return s, nil
}

// sandboxNames shows the workspace's IDs by name.
func sandboxNames() blocktext.Names {
	return blocktext.Names{
		User: func(id string) string {
			if id == slacktest.BotUserID {
				return "mpc-bot"
			}
			if u, ok := sandboxUser(id); ok {
				return u.Name
			}
			return ""
		},
		Group: func(id string) string {
			if id == sandboxGroup {
				return sandboxGroupName
			}
			return ""
		},
		Channel: func(id string) string {
			if id == sandboxChannel {
				return sandboxChannelName
			}
			return ""
		},
	}
}

// sandboxUser finds a person by ID or by name.
func sandboxUser(idOrName string) (slacktest.User, bool) {
	for _, u := range sandboxPeople() {
		if u.ID == idOrName || u.Name == idOrName {
			return u, true
		}
	}
	return slacktest.User{}, false
}

var atWord = regexp.MustCompile(`@([a-z0-9._-]+)`)

// escapeMentions does what Slack does to "@alice" in a command with
// should_escape: it becomes "<@U0ALICE|alice>".
func escapeMentions(s string) string {
	return atWord.ReplaceAllStringFunc(s, func(w string) string {
		name := w[1:]
		if name == sandboxGroupName {
			return "<!subteam^" + sandboxGroup + "|@" + sandboxGroupName + ">"
		}
		if u, ok := sandboxUser(name); ok {
			return "<@" + u.ID + "|" + name + ">"
		}
		return w
	})
}
