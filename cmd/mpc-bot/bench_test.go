package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/bot/slacktest"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

// BenchmarkStartupToConnected measures the real binary from exec to its
// Socket Mode connection being open at the fake Slack: process start,
// settings, opening and migrating a fresh SQLite database, the PHLO check
// of the bridge (two GETs), auth.test, apps.connections.open and the
// websocket dial.
func BenchmarkStartupToConnected(b *testing.B) {
	fs := slacktest.NewServer()
	defer fs.Close()
	fp := phlotest.NewServer(phlotest.Config{})
	defer fp.Close()
	cfg := fp.Config()
	for i := range b.N {
		b.StopTimer()
		cmd := exec.Command(binary)
		cmd.Env = []string{
			"SLACK_BOT_TOKEN=" + slacktest.BotToken, "SLACK_APP_TOKEN=" + slacktest.AppToken, "SLACK_API_URL=" + fs.APIURL(),
			"PLIVO_AUTH_ID=" + cfg.AuthID, "PLIVO_AUTH_TOKEN=" + cfg.AuthToken, "PHLO_ID=" + cfg.PhloID, "PHLO_NODE_ID=" + cfg.NodeID,
			"PHLO_BASE_URL=" + fp.URL(), "MPC_HTTP_ADDR=", "MPC_DB_PATH=" + filepath.Join(b.TempDir(), "bench.db"),
		}
		opened := fs.ConnectionsOpened()
		b.StartTimer()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		if err := fs.Wait(ctx, func() bool { return fs.ConnectionsOpened() > opened }); err != nil {
			b.Fatalf("start %d: %v", i, err)
		}
		cancel()
		b.StopTimer()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		b.StartTimer()
	}
}
