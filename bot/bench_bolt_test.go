package bot_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/bot/slacktest"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

// boltSource is the Bolt for JS baseline app, relative to this package.
const boltSource = "../bench/bolt"

// BenchmarkBolt is the JavaScript baseline: bench/bolt/app.js, a Bolt for
// JS app that does /mpc-add the simplest idiomatic way (ack, then a PHLO
// request with fetch, then chat.postMessage), run with node against the
// same fakes as mpc-bot's benchmarks. It installs the app's locked
// dependencies with npm ci into a temporary directory first, and skips
// when node or npm is missing or the install fails.
func BenchmarkBolt(b *testing.B) {
	node, err := exec.LookPath("node")
	if err != nil {
		b.Skip("node is not installed, so the Bolt for JS baseline cannot run")
	}
	dir := installBolt(b)
	start := startBolt(node, dir)
	b.Run("TimeToRing", func(b *testing.B) { benchmarkTimeToRing(b, start) })
	b.Run("AccountLimitBurst", func(b *testing.B) { measureAccountLimitBurst(b, start) })
	b.Run("AckBurst", func(b *testing.B) { measureAckBurst(b, start) })
}

// installBolt copies the app into a temporary directory and runs npm ci
// there; node_modules never lands in the repository.
func installBolt(b *testing.B) string {
	npm, err := exec.LookPath("npm")
	if err != nil {
		b.Skip("npm is not installed, so the Bolt for JS baseline cannot be installed")
	}
	dir := b.TempDir()
	for _, f := range []string{"package.json", "package-lock.json", "app.js"} {
		data, err := os.ReadFile(filepath.Join(boltSource, f))
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Skipf("npm ci failed, so the Bolt for JS baseline cannot run: %v\n%s", err, out)
	}
	return dir
}

// startBolt runs node app.js in dir as a contender.
func startBolt(node, dir string) contender {
	return func(b *testing.B, fp *phlotest.Server) rig {
		fs := newBaselineSlack()
		cfg := fp.Config()
		directory, _ := json.Marshal(baselineDirectory())
		ctx, cancel := context.WithCancel(context.Background())
		cmd := exec.CommandContext(ctx, node, "app.js")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(),
			"SLACK_BOT_TOKEN="+slacktest.BotToken,
			"SLACK_APP_TOKEN="+slacktest.AppToken,
			"SLACK_API_URL="+fs.APIURL(),
			"PHLO_BASE_URL="+fp.URL(),
			"PHLO_ID="+cfg.PhloID,
			"PHLO_NODE_ID="+cfg.NodeID,
			"PLIVO_AUTH_ID="+cfg.AuthID,
			"PLIVO_AUTH_TOKEN="+cfg.AuthToken,
			"DIRECTORY="+string(directory),
			"DEFAULT_COUNTRY_CODE="+baselineCountryCode,
			"NO_PROXY=127.0.0.1,localhost",
		)
		// Stop it with SIGINT, and kill it if it lingers.
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
		cmd.WaitDelay = 5 * time.Second
		out := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			cancel()
			fs.Close()
			b.Fatalf("node app.js: %v", err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		var once sync.Once
		stop := func() {
			once.Do(func() {
				cancel()
				<-exited
				if n := fs.ConnectionsOpened(); n != 1 {
					b.Logf("Bolt opened %d Socket Mode connections, not 1: it reconnected", n)
				}
				fs.Close()
				// Bolt logs warnings and errors only: a pong it missed, a
				// reconnect, a failed call.
				if logs := strings.TrimSpace(strings.Replace(out.String(), "connected\n", "", 1)); logs != "" {
					b.Logf("node app.js said:\n%.3000s", logs)
				}
			})
		}
		// A benchmark that fails half-way must not leave node running.
		b.Cleanup(stop)
		deadline := time.After(30 * time.Second)
		for !strings.Contains(out.String(), "connected\n") {
			select {
			case err := <-exited:
				exited <- err // for stop
				b.Fatalf("node app.js exited before it connected: %v\n%s", err, out.String())
			case <-deadline:
				b.Fatalf("node app.js did not connect to the fake Slack in 30 s:\n%s", out.String())
			case <-time.After(5 * time.Millisecond):
			}
		}
		return rig{
			slack: fs,
			phlo:  fp,
			// Every command posts exactly one message.
			finished: func(n int) bool { return len(fs.Messages()) >= n },
			stop:     stop,
		}
	}
}
