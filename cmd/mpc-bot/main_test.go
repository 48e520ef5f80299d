package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/bot/slacktest"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

// binary is the mpc-bot built the way the Dockerfile builds it.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mpc-bot-test")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "mpc-bot")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", binary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic("go build ./cmd/mpc-bot: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// start runs the binary with exactly env (plus PATH).
func start(t *testing.T, env ...string) (*exec.Cmd, *processOutput) {
	t.Helper()
	cmd := exec.Command(binary)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	var out processOutput
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd, &out
}

// processOutput collects a running process's output; tests read it while
// the process still writes, so every access holds the lock.
type processOutput struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write; nil until waited on
}

func (o *processOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.changed != nil {
		close(o.changed)
		o.changed = nil
	}
	return o.buf.Write(p)
}

// servingAddr waits for the process to say where it serves /healthz (it
// is started with MPC_HTTP_ADDR=127.0.0.1:0, so the kernel picked a free
// port) and returns that address.
func (o *processOutput) servingAddr(t *testing.T) string {
	t.Helper()
	re := regexp.MustCompile(`"msg":"serving /healthz[^\n]*"addr":"([^"]+)"`)
	timeout := time.After(15 * time.Second)
	for {
		o.mu.Lock()
		m := re.FindStringSubmatch(o.buf.String())
		if o.changed == nil {
			o.changed = make(chan struct{})
		}
		changed := o.changed
		o.mu.Unlock()
		if m != nil {
			return m[1]
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("mpc-bot never said where it serves /healthz:\n%s", o)
		}
	}
}

// String is the output so far.
func (o *processOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// stopAll sends SIGTERM to every process at once, then waits for each to
// exit.
func stopAll(t *testing.T, within time.Duration, cmds ...*exec.Cmd) {
	t.Helper()
	for _, c := range cmds {
		_ = c.Process.Signal(syscall.SIGTERM)
	}
	for _, c := range cmds {
		waitExit(t, c, within)
	}
}

func waitExit(t *testing.T, cmd *exec.Cmd, within time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		return cmd.ProcessState.ExitCode()
	case <-time.After(within):
		t.Fatalf("mpc-bot did not exit within %s", within)
		return -1
	}
}

func TestMissingSettingsAreAllNamed(t *testing.T) {
	cmd, out := start(t)
	if code := waitExit(t, cmd, 5*time.Second); code == 0 {
		t.Fatalf("exit code 0 without settings; output:\n%s", out)
	}
	msg := out.String()
	for _, name := range []string{"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "PLIVO_AUTH_ID", "PLIVO_AUTH_TOKEN", "PHLO_ID", "PHLO_NODE_ID"} {
		if !strings.Contains(msg, name) {
			t.Errorf("the error does not name %s:\n%s", name, msg)
		}
	}
	if strings.Count(strings.TrimSpace(msg), "\n") != 0 {
		t.Errorf("want one line, got:\n%s", msg)
	}
}

func TestSomeSettingsMissingOrMalformed(t *testing.T) {
	cmd, out := start(t,
		"SLACK_BOT_TOKEN=xapp-swapped-secret-1",
		"SLACK_APP_TOKEN=xapp-secret-2",
		"PLIVO_AUTH_TOKEN=plivo-secret-3",
		"MPC_DEFAULT_REGION=XX",
	)
	if code := waitExit(t, cmd, 5*time.Second); code == 0 {
		t.Fatal("exit code 0 with settings missing")
	}
	msg := out.String()
	for _, want := range []string{"missing required settings: PLIVO_AUTH_ID, PHLO_ID, PHLO_NODE_ID", "SLACK_BOT_TOKEN must be a bot token", "MPC_DEFAULT_REGION"} {
		if !strings.Contains(msg, want) {
			t.Errorf("output lacks %q:\n%s", want, msg)
		}
	}
	for _, secret := range []string{"secret-1", "secret-2", "secret-3"} {
		if strings.Contains(msg, secret) {
			t.Errorf("output leaks %s:\n%s", secret, msg)
		}
	}
}

func TestBadSlackTokenFailsFast(t *testing.T) {
	fs := slacktest.NewServer()
	defer fs.Close()
	fp := phlotest.NewServer(phlotest.Config{})
	defer fp.Close()
	env := settingsFor(t, fs, fp)
	env = append(env, "SLACK_APP_TOKEN=xapp-not-the-right-one")
	cmd, out := start(t, env...)
	if code := waitExit(t, cmd, 10*time.Second); code == 0 {
		t.Fatalf("exit code 0 with a refused app token; output:\n%s", out)
	}
	if !strings.Contains(out.String(), "SLACK_APP_TOKEN") || strings.Contains(out.String(), "xapp-not-the-right-one") {
		t.Errorf("output:\n%s", out)
	}
}

// newFakes starts a fake Slack with a caller (+1 415 555 0199 in their
// profile) and an incident channel, and a fake PHLO runner.
func newFakes(t *testing.T) (*slacktest.Server, *phlotest.Server) {
	fs := slacktest.NewServer(slacktest.WithPingInterval(time.Second))
	t.Cleanup(fs.Close)
	fp := phlotest.NewServer(phlotest.Config{})
	t.Cleanup(fp.Close)
	fs.AddUser(slacktest.User{ID: "U0CALLER", Name: "carol", Phone: "+1 415 555 0199"})
	fs.AddChannel(slacktest.Channel{ID: "C0INCIDENT", Name: "incident", BotIsMember: true})
	return fs, fp
}

// settingsFor is a complete environment for the fakes. The health
// listener is off (MPC_HTTP_ADDR empty): its default port may be taken on
// a test machine; a test that wants it sets a free address.
func settingsFor(t *testing.T, fs *slacktest.Server, fp *phlotest.Server) []string {
	return []string{
		"MPC_HTTP_ADDR=",
		"MPC_DB_PATH=" + filepath.Join(t.TempDir(), "mpc-bot.db"),
		"SLACK_BOT_TOKEN=" + slacktest.BotToken,
		"SLACK_APP_TOKEN=" + slacktest.AppToken,
		"SLACK_API_URL=" + fs.APIURL(),
		"PLIVO_AUTH_ID=" + phlotest.DefaultAuthID,
		"PLIVO_AUTH_TOKEN=" + phlotest.DefaultAuthToken,
		"PHLO_ID=" + phlotest.DefaultPhloID,
		"PHLO_NODE_ID=" + phlotest.DefaultNodeID,
		"PHLO_BASE_URL=" + fp.URL(),
	}
}

// TestBinaryAddsAndShutsDownGracefully drives the real binary: a directory
// file, one add through the fake Slack and fake PHLO, then SIGTERM while a
// second add is in flight, which must still finish before exit 0.
func TestBinaryAddsAndShutsDownGracefully(t *testing.T) {
	fs, fp := newFakes(t)
	dir := filepath.Join(t.TempDir(), "directory.yaml")
	if err := os.WriteFile(dir, []byte("users:\n  U0CALLER: \"+1 415 555 0199\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd, out := start(t, append(settingsFor(t, fs, fp), "MPC_DIRECTORY="+dir, "MPC_LOG_LEVEL=debug", "MPC_HTTP_ADDR=127.0.0.1:0")...)
	httpAddr := out.servingAddr(t)

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := fs.Wait(ctx, func() bool { return fs.OpenConnections() == 1 }); err != nil {
		t.Fatalf("binary did not connect: %v\n%s", err, out)
	}
	waitHTTP(t, "http://"+httpAddr+"/readyz", 200)
	if code, _ := httpGet(t, "http://"+httpAddr+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	replies := func() int {
		n := 0
		for _, m := range fs.Messages() {
			if m.ThreadTS != "" {
				n++
			}
		}
		return n
	}
	if _, _, _, err := fs.SendSlashCommand(slacktest.SlashCommand{Text: "+14155550100 customer", UserID: "U0CALLER", ChannelID: "C0INCIDENT"}); err != nil {
		t.Fatal(err)
	}
	if err := fs.Wait(ctx, func() bool { return replies() == 1 }); err != nil {
		t.Fatalf("no thread reply: %v\n%s", err, out)
	}
	r := phloActions(fp)[0]
	if r.To != "+14155550100" || r.Role != "customer" || r.TriggerSource != "+14155550199" {
		t.Errorf("PHLO request %+v", r)
	}

	if _, metrics := httpGet(t, "http://"+httpAddr+"/metrics"); !strings.Contains(metrics, `mpcbot_adds_total{outcome="dialled",role="customer"} 1`) {
		t.Errorf("/metrics does not count the add:\n%s", metrics)
	}

	fp.Enqueue(phlotest.Response{Status: 201, Body: `{"api_id":"in-flight-api-id","error":""}`, Delay: time.Second})
	if _, _, _, err := fs.SendSlashCommand(slacktest.SlashCommand{Text: "+14155550101", UserID: "U0CALLER", ChannelID: "C0INCIDENT"}); err != nil {
		t.Fatal(err)
	}
	if err := fp.Wait(ctx, startChecks(fp)+2); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, cmd, 10*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM; output:\n%s", code, out)
	}
	if replies() != 2 || !strings.Contains(fs.Messages()[len(fs.Messages())-1].Text, "in-flight-api-id") {
		t.Errorf("the in-flight add did not finish before exit: %+v", fs.Messages())
	}
	logs := out.String()
	for _, secret := range []string{slacktest.BotToken, slacktest.AppToken, phlotest.DefaultAuthToken, "4155550100", "4155550199"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs)
		}
	}
	if !strings.Contains(logs, `"msg":"add"`) || !strings.Contains(logs, "+1•••0100") {
		t.Errorf("logs lack the masked add line:\n%s", logs)
	}
}

// phloActions are the requests the bot sent PHLO, without the GETs of
// its start-up check of every bridge.
func phloActions(fp *phlotest.Server) []phlotest.Request {
	var out []phlotest.Request
	for _, r := range fp.Requests() {
		if r.Method != http.MethodGet {
			out = append(out, r)
		}
	}
	return out
}

// startChecks counts the GETs of the start-up checks so far. A bot checks
// its bridges before it connects to Slack, so once it is connected its
// count is final: fp.Wait(ctx, startChecks(fp)+n) waits for n actions.
func startChecks(fp *phlotest.Server) int {
	return len(fp.Requests()) - len(phloActions(fp))
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitHTTP polls url until it answers code; the listener and the Socket
// Mode connection come up independently.
func waitHTTP(t *testing.T, url string, code int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, body := httpGet(t, url)
		if got == code {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %d %s, want %d", url, got, body, code)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
