package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/bot"
	"github.com/mpc-bot/mpc-bot/bot/slacktest"
	"github.com/mpc-bot/mpc-bot/config"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
	"github.com/mpc-bot/mpc-bot/store"
)

// Extra nodes of the fake PHLO for the bridges file: a second PHLO with
// its own Multi-Party Call, and a conference bridge (not an MPC) on the
// default PHLO.
const (
	salesPhlo  = "1a2b3c4d-0000-4000-8000-00000000sale"
	salesNode  = "1a2b3c4d-0000-4000-8000-0000000node"
	confNode   = "1a2b3c4d-0000-4000-8000-00000000conf"
	wrongToken = "plivo-wrong-token-secret-77"
	dbPassword = "db-password-secret-88"
)

// checkFakes is newFakes with the extra nodes.
func checkFakes(t *testing.T, opts ...slacktest.Option) (*slacktest.Server, *phlotest.Server) {
	fs := slacktest.NewServer(opts...)
	t.Cleanup(fs.Close)
	fp := phlotest.NewServer(phlotest.Config{Nodes: []phlotest.Node{
		{PhloID: salesPhlo, NodeID: salesNode, PhloName: "Sales escalations"},
		{PhloID: phlotest.DefaultPhloID, NodeID: confNode, NodeName: "Conference_1", NodeType: "conference_bridge"},
	}})
	t.Cleanup(fp.Close)
	return fs, fp
}

// writeFile writes text to a new file in a test directory.
func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func bridgesFile(t *testing.T, entries string) string {
	return writeFile(t, "bridges.yaml", "bridges:\n"+entries)
}

const salesBridge = "  sales:\n    phlo_id: \"" + salesPhlo + "\"\n    node_id: \"" + salesNode + "\"\n"

// runCheckBinary runs `mpc-bot check` with exactly env (plus PATH) and
// returns its exit code and everything it printed.
func runCheckBinary(t *testing.T, env ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(binary, "check")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	code := waitExit(t, cmd, 90*time.Second)
	text := out.String()
	for _, secret := range []string{slacktest.BotToken, slacktest.AppToken, phlotest.DefaultAuthToken, wrongToken, dbPassword} {
		if strings.Contains(text, secret) {
			t.Errorf("the output leaks %q:\n%s", secret, text)
		}
	}
	return code, text
}

// line returns the checklist line of the check called name, or fails.
func line(t *testing.T, out, name string) string {
	t.Helper()
	for l := range strings.SplitSeq(out, "\n") {
		_, rest, ok := strings.Cut(l, " ")
		if ok && strings.HasPrefix(rest, name+" ") {
			return l
		}
	}
	t.Fatalf("no line for %q in:\n%s", name, out)
	return ""
}

// wantLine checks that the line of name has mark and every one of parts.
func wantLine(t *testing.T, out, mark, name string, parts ...string) {
	t.Helper()
	l := line(t, out, name)
	if !strings.HasPrefix(l, mark+" ") {
		t.Errorf("line %q: want %s", l, mark)
	}
	for _, p := range parts {
		if !strings.Contains(l, p) {
			t.Errorf("line %q lacks %q", l, p)
		}
	}
}

// TestCheckAllGood: every service answers as it should, so every check
// passes, the two settings that are judgement calls are shown, and the
// exit status is 0.
func TestCheckAllGood(t *testing.T) {
	t.Parallel()
	fs, fp := checkFakes(t)
	env := append(settingsFor(t, fs, fp),
		"MPC_DIRECTORY="+writeFile(t, "directory.yaml", "users:\n  U0CALLER: \"+1 415 555 0199\"\n"),
		"MPC_BRIDGES="+bridgesFile(t, salesBridge))
	code, out := runCheckBinary(t, env...)
	if code != 0 {
		t.Fatalf("exit %d; output:\n%s", code, out)
	}
	wantLine(t, out, "✓", "settings")
	wantLine(t, out, "✓", "Slack bot token", `workspace "Fake Team" (T0FAKE)`, "@mpc-bot")
	wantLine(t, out, "✓", "Slack scopes", "all 7 scopes")
	wantLine(t, out, "✓", "Socket Mode", "issued a websocket URL")
	wantLine(t, out, "✓", "directory file", "1 person")
	wantLine(t, out, "✓", "bridges file", "1 bridge besides the default")
	wantLine(t, out, "✓", "bridge default", `PHLO "phlotest"`, `node "Multi-Party Call_1"`)
	wantLine(t, out, "✓", "bridge sales", `PHLO "Sales escalations"`)
	wantLine(t, out, "✓", "database", "SQLite file", "does not exist yet", "creates it at start")
	wantLine(t, out, "·", "number format", "PHLO_NUMBER_FORMAT=e164", "+14155550100", "disagrees on whether numbers carry the +")
	wantLine(t, out, "·", "PHLO rate limit", "PHLO_RATE_LIMIT=300/5s")
	if strings.Contains(out, "✗") || strings.Contains(out, "–") || !strings.Contains(out, "9 passed, 0 failed: ready to run.") {
		t.Errorf("output:\n%s", out)
	}
	// The checks change nothing: no socket was dialled, no PHLO action
	// sent, no database created.
	if n := fs.ConnectionsOpened(); n != 0 {
		t.Errorf("check dialled %d websockets", n)
	}
	for _, r := range fp.Requests() {
		if r.Method != http.MethodGet {
			t.Errorf("check sent PHLO %s %s", r.Method, r.Path)
		}
	}
}

// TestCheckFailures runs `mpc-bot check` against each way a deployment
// goes wrong: each must print its line with the fix, and exit non-zero.
func TestCheckFailures(t *testing.T) {
	t.Parallel()
	closed := closedAddr(t)
	type want struct {
		mark, name string
		parts      []string
	}
	for _, tc := range []struct {
		name  string
		slack []slacktest.Option
		setup func(fs *slacktest.Server, fp *phlotest.Server)
		env   func(t *testing.T) []string
		want  []want
	}{
		{
			name: "settings missing",
			env:  func(*testing.T) []string { return []string{"PLIVO_AUTH_ID=", "PHLO_ID=", "MPC_DEFAULT_REGION=XX"} },
			want: []want{
				{"✗", "settings", []string{"missing required settings: PLIVO_AUTH_ID, PHLO_ID", "MPC_DEFAULT_REGION", "Fix:"}},
				// What does not need them still runs.
				{"✓", "Slack bot token", nil},
				{"✓", "Socket Mode", nil},
				{"✓", "database", nil},
				{"–", "bridge default", []string{"skipped: needs PLIVO_AUTH_ID"}},
			},
		},
		{
			name: "only PHLO_ID missing",
			env: func(t *testing.T) []string {
				return []string{"PHLO_ID=", "MPC_BRIDGES=" + bridgesFile(t, salesBridge)}
			},
			want: []want{
				{"✗", "settings", []string{"PHLO_ID"}},
				{"–", "bridge default", []string{"skipped: PHLO_ID not set"}},
				{"✓", "bridges file", nil},
				{"✓", "bridge sales", nil},
			},
		},
		{
			name:  "scopes missing",
			slack: []slacktest.Option{slacktest.WithScopes("commands", "chat:write", "users:read")},
			want: []want{
				{"✓", "Slack bot token", nil},
				{"✗", "Slack scopes", []string{"lacks chat:write.public, usergroups:read, app_mentions:read, im:history", "reinstall the app"}},
			},
		},
		{
			name:  "tokens revoked",
			setup: func(fs *slacktest.Server, _ *phlotest.Server) { fs.RevokeTokens() },
			want: []want{
				{"✗", "Slack bot token", []string{"refused SLACK_BOT_TOKEN (token_revoked)", "install the app again"}},
				{"–", "Slack scopes", []string{"needs a valid SLACK_BOT_TOKEN"}},
				{"✗", "Socket Mode", []string{"refused SLACK_APP_TOKEN (invalid_auth)", "connections:write"}},
			},
		},
		{
			name: "wrong app token",
			env:  func(*testing.T) []string { return []string{"SLACK_APP_TOKEN=xapp-" + wrongToken} },
			want: []want{{"✗", "Socket Mode", []string{"invalid_auth", "App-Level Tokens"}}},
		},
		{
			name:  "Socket Mode off",
			setup: func(fs *slacktest.Server, _ *phlotest.Server) { fs.DisableSocketMode() },
			want:  []want{{"✗", "Socket Mode", []string{slacktest.SocketModeDisabledError, "turn Socket Mode on"}}},
		},
		{
			name: "Slack API URL is not Slack",
			env:  func(*testing.T) []string { return []string{"SLACK_API_URL=http://" + closed + "/api/"} },
			want: []want{
				{"✗", "Slack bot token", []string{"auth.test: cannot reach " + closed, "SLACK_API_URL"}},
				{"✗", "Socket Mode", []string{"apps.connections.open: cannot reach"}},
			},
		},
		{
			name: "wrong node",
			env:  func(*testing.T) []string { return []string{"PHLO_NODE_ID=not-the-node"} },
			want: []want{{"✗", "bridge default", []string{"no Multi-Party Call node with that ID (HTTP 404)", "set PHLO_NODE_ID"}}},
		},
		{
			name: "wrong PHLO",
			env:  func(*testing.T) []string { return []string{"PHLO_ID=not-the-phlo"} },
			want: []want{{"✗", "bridge default", []string{"no deployed PHLO with that ID (HTTP 404)", "set PHLO_ID"}}},
		},
		{
			name: "node of another type",
			env: func(t *testing.T) []string {
				return []string{"MPC_BRIDGES=" + bridgesFile(t, salesBridge+"  conf:\n    phlo_id: \""+phlotest.DefaultPhloID+"\"\n    node_id: \""+confNode+"\"\n")}
			},
			want: []want{
				{"✓", "bridge default", nil},
				{"✓", "bridge sales", nil},
				{"✗", "bridge conf", []string{`a "conference_bridge" node, not a Multi-Party Call`, `node_id of "conf" in the MPC_BRIDGES file`}},
			},
		},
		{
			name: "wrong credentials",
			env: func(t *testing.T) []string {
				return []string{"PLIVO_AUTH_TOKEN=" + wrongToken, "MPC_BRIDGES=" + bridgesFile(t, salesBridge)}
			},
			want: []want{
				{"✗", "bridge default", []string{"refused PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN (HTTP 401)", "console's overview page"}},
				{"✗", "bridge sales", []string{"as bridge default"}},
			},
		},
		{
			name:  "PHLO answers 403",
			setup: func(_ *slacktest.Server, fp *phlotest.Server) { fp.SetFailure(phlotest.Failure{Status: 403}) },
			want:  []want{{"✗", "bridge default", []string{"HTTP 403", "PHLO is not enabled", "not verified"}}},
		},
		{
			name: "Plivo unreachable",
			env:  func(*testing.T) []string { return []string{"PHLO_BASE_URL=http://" + closed} },
			want: []want{{"✗", "bridge default", []string{"Plivo is unreachable at PHLO_BASE_URL", "connection refused", "HTTPS_PROXY"}}},
		},
		{
			name: "bad files",
			env: func(t *testing.T) []string {
				return []string{
					"MPC_DIRECTORY=" + writeFile(t, "directory.yaml", "users:\n  U0CALLER: \"call me maybe\"\n"),
					"MPC_BRIDGES=" + bridgesFile(t, "  Sales:\n    phlo_id: x\n"),
				}
			},
			want: []want{
				{"✗", "directory file", []string{"U0CALLER", "The directory file"}},
				{"✗", "bridges file", []string{`"Sales" is not a bridge name`, "More than one bridge"}},
				{"✓", "bridge default", nil},
			},
		},
		{
			name: "database directory missing",
			env: func(t *testing.T) []string {
				return []string{"MPC_DB_PATH=" + filepath.Join(t.TempDir(), "no-such-dir", "mpc-bot.db")}
			},
			want: []want{{"✗", "database", []string{"its directory", "is missing", "MPC_DB_PATH"}}},
		},
		{
			name: "not a database",
			env: func(t *testing.T) []string {
				return []string{"MPC_DB_PATH=" + writeFile(t, "notes.db", strings.Repeat("not a database\n", 100))}
			},
			want: []want{{"✗", "database", []string{"SQLite file", "not a database"}}},
		},
		{
			name: "PostgreSQL unreachable",
			env: func(*testing.T) []string {
				return []string{"MPC_DATABASE_URL=postgres://mpc:" + dbPassword + "@" + closed + "/mpc?connect_timeout=5"}
			},
			want: []want{{"✗", "database", []string{"PostgreSQL (MPC_DATABASE_URL)", "check MPC_DATABASE_URL's host"}}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fs, fp := checkFakes(t, tc.slack...)
			if tc.setup != nil {
				tc.setup(fs, fp)
			}
			env := settingsFor(t, fs, fp)
			if tc.env != nil {
				env = append(env, tc.env(t)...) // later entries win
			}
			code, out := runCheckBinary(t, env...)
			if code == 0 {
				t.Errorf("exit 0; output:\n%s", out)
			}
			for _, w := range tc.want {
				wantLine(t, out, w.mark, w.name, w.parts...)
			}
			if !strings.Contains(out, "mpc-bot: check: ") || !strings.Contains(out, "failed (see above)") {
				t.Errorf("no closing error line:\n%s", out)
			}
			if t.Failed() {
				t.Logf("output:\n%s", out)
			}
		})
	}
}

// TestStartStopsOnABadBridge starts the bot itself: a wrong PHLO, node,
// node type or credentials, or an unreachable Plivo, stop it before it
// connects to Slack, with exit 1 and one line naming the bridge and the
// fix.
func TestStartStopsOnABadBridge(t *testing.T) {
	t.Parallel()
	closed := closedAddr(t)
	for _, tc := range []struct {
		name  string
		env   func(t *testing.T) []string
		parts []string
	}{
		{"wrong PHLO", func(*testing.T) []string { return []string{"PHLO_ID=not-the-phlo"} },
			[]string{`bridge "default"`, "no deployed PHLO", "Fix: set PHLO_ID"}},
		{"wrong node", func(*testing.T) []string { return []string{"PHLO_NODE_ID=not-the-node"} },
			[]string{`bridge "default"`, "no Multi-Party Call node", "Fix: set PHLO_NODE_ID"}},
		{"node of another type", func(t *testing.T) []string {
			return []string{"MPC_BRIDGES=" + bridgesFile(t, "  conf:\n    phlo_id: \""+phlotest.DefaultPhloID+"\"\n    node_id: \""+confNode+"\"\n")}
		}, []string{`bridge "conf"`, `"conference_bridge" node`, `Fix: set node_id of "conf" in the MPC_BRIDGES file`}},
		{"wrong credentials", func(t *testing.T) []string {
			return []string{"PLIVO_AUTH_TOKEN=" + wrongToken, "MPC_BRIDGES=" + bridgesFile(t, salesBridge)}
		}, []string{`bridge "default"`, "HTTP 401", "Fix: set both", "1 more bridge failed too"}},
		{"Plivo unreachable", func(*testing.T) []string { return []string{"PHLO_BASE_URL=http://" + closed} },
			[]string{`bridge "default"`, "Plivo is unreachable", "connection refused"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fs, fp := checkFakes(t)
			cmd, out := start(t, append(settingsFor(t, fs, fp), tc.env(t)...)...)
			if code := waitExit(t, cmd, 60*time.Second); code != 1 {
				t.Fatalf("exit %d; output:\n%s", code, out)
			}
			text := strings.TrimSpace(out.String())
			last := text[strings.LastIndexByte(text, '\n')+1:]
			if !strings.HasPrefix(last, "mpc-bot: PHLO check: ") {
				t.Errorf("the last line is %q; output:\n%s", last, text)
			}
			for _, p := range tc.parts {
				if !strings.Contains(last, p) {
					t.Errorf("the last line lacks %q: %s", p, last)
				}
			}
			for _, secret := range []string{slacktest.BotToken, slacktest.AppToken, phlotest.DefaultAuthToken, wrongToken} {
				if strings.Contains(text, secret) {
					t.Errorf("the output leaks %q:\n%s", secret, text)
				}
			}
			if n := fs.ConnectionsOpened(); n != 0 {
				t.Errorf("the bot connected to Slack %d times before stopping", n)
			}
		})
	}
}

// closedAddr is a loopback address nobody listens on, for as long as the
// test runs: a socket is bound to the port but never listens, so a
// connection is refused, and no server the parallel tests start can be
// given the same port (as one could once a listener was closed).
func closedAddr(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
}

// TestCheckDatabaseStates: a database the bot has migrated, one that is
// reachable but empty, and one left at an older version all pass, each
// saying what the bot will do.
func TestCheckDatabaseStates(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mpc-bot.db")
	empty := writeFile(t, "empty.db", "")
	for _, tc := range []struct {
		name, path string
		want       []string
	}{
		{"empty", empty, []string{"not migrated yet (schema version 0)", "migrates it to version"}},
		{"migrated", path, []string{"up to date"}},
	} {
		if tc.name == "migrated" {
			st, err := store.Open(ctx, store.Config{Path: path})
			if err != nil {
				t.Fatal(err)
			}
			st.Close()
		}
		l := checkDatabase(ctx, config.Settings{DBPath: tc.path})
		if l.status != checkPass {
			t.Errorf("%s: %s", tc.name, l)
		}
		for _, w := range tc.want {
			if !strings.Contains(l.text, w) {
				t.Errorf("%s: %q lacks %q", tc.name, l.text, w)
			}
		}
	}
}

// TestScopesNamedInManifestOrder checks the comparison itself, including
// a header with spaces and scopes the manifest does not ask for.
func TestScopesNamedInManifestOrder(t *testing.T) {
	all := strings.Join(bot.Scopes(), " , ") + ",channels:read"
	if l := checkScopes(all); l.status != checkPass {
		t.Errorf("all granted: %s", l)
	}
	l := checkScopes("")
	if l.status != checkFail || !strings.Contains(l.text, strings.Join(bot.Scopes(), ", ")) {
		t.Errorf("none granted: %s", l)
	}
}
