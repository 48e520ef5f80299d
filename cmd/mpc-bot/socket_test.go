package main

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/bot/slacktest"
)

// TestSocketModeTurnedOffEndsTheProcess: when Socket Mode is turned off
// in the app's settings the binary exits non-zero with one message saying
// to turn it back on, instead of reconnecting for ever.
func TestSocketModeTurnedOffEndsTheProcess(t *testing.T) {
	fs, fp := newFakes(t)
	cmd, out := start(t, settingsFor(t, fs, fp)...)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := fs.Wait(ctx, func() bool { return fs.OpenConnections() == 1 }); err != nil {
		t.Fatalf("binary did not connect: %v\n%s", err, out)
	}
	opens := fs.CallCount("apps.connections.open")
	fs.DisableSocketMode()
	if code := waitExit(t, cmd, 15*time.Second); code == 0 {
		t.Fatalf("exit code 0 after Socket Mode was turned off; output:\n%s", out)
	}
	if n := fs.CallCount("apps.connections.open") - opens; n > 1 {
		t.Errorf("%d calls to apps.connections.open after Socket Mode was turned off, want at most 1", n)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	last := lines[len(lines)-1]
	for _, want := range []string{"mpc-bot:", "Socket Mode", "turn it back on", "https://api.slack.com/apps", "start mpc-bot again"} {
		if !strings.Contains(last, want) {
			t.Errorf("the last line does not say %q: %s", want, last)
		}
	}
	if strings.Contains(out.String(), "SLACK_BOT_TOKEN") || strings.Contains(out.String(), "SLACK_APP_TOKEN") {
		t.Errorf("Socket Mode turned off is reported as a token problem:\n%s", out)
	}
}

// TestRevokedTokenLeavesTheProcessNotReady: a revoked bot token ends in
// one clear log line and a non-ready /readyz that says why; the process
// stays up (a restart cannot mend the token) and stops cleanly when told.
func TestRevokedTokenLeavesTheProcessNotReady(t *testing.T) {
	fs, fp := newFakes(t)
	cmd, out := start(t, append(settingsFor(t, fs, fp), "MPC_HTTP_ADDR=127.0.0.1:0")...)
	httpAddr := out.servingAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := fs.Wait(ctx, func() bool { return fs.OpenConnections() == 1 }); err != nil {
		t.Fatalf("binary did not connect: %v\n%s", err, out)
	}
	waitHTTP(t, "http://"+httpAddr+"/readyz", 200)
	fs.RevokeTokens()
	if _, err := fs.SendTokensRevoked(); err != nil {
		t.Fatal(err)
	}
	waitHTTP(t, "http://"+httpAddr+"/readyz", 503)
	if _, body := httpGet(t, "http://"+httpAddr+"/readyz"); !strings.Contains(body, "revoked the bot token") {
		t.Errorf("/readyz does not say why: %s", body)
	}
	// Commands sent now are not taken (the socket is closed), and nothing
	// is posted with the dead token.
	if _, _, _, err := fs.SendSlashCommand(slacktest.SlashCommand{Text: "+14155550100", UserID: "U0CALLER", ChannelID: "C0INCIDENT"}); err != nil {
		t.Fatal(err)
	}
	if code, _ := httpGet(t, "http://"+httpAddr+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d: the process itself is fine", code)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, cmd, 15*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM; output:\n%s", code, out)
	}
	logs := out.String()
	if n := strings.Count(logs, `"level":"ERROR"`); n != 1 || !strings.Contains(logs, "reinstall") {
		t.Errorf("%d error lines, want 1 saying to reinstall the app:\n%s", n, logs)
	}
	if n := len(phloActions(fp)); n != 0 {
		t.Errorf("%d PHLO requests after the token was revoked", n)
	}
}
