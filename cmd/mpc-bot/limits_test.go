package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/bot/slacktest"
)

// TestPersonalLimitHoldsAcrossProcesses runs two processes sharing one
// database and sends one person's 25 adds, which Slack spreads over both.
// The person's allowance (here 1 a minute, in bursts of 20) lives in the
// database, so 20 go out and 5 are refused (they would wait longer than a
// request may), however the adds were spread; with a limit per process,
// all 25 would have gone out at once.
func TestPersonalLimitHoldsAcrossProcesses(t *testing.T) {
	fs, fp := newFakes(t)
	settings := append(settingsFor(t, fs, fp), "MPC_DB_PATH="+filepath.Join(t.TempDir(), "shared.db"), "MPC_USER_DIALS_PER_MINUTE=1")
	first, out1 := start(t, settings...)
	second, out2 := start(t, settings...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := fs.Wait(ctx, func() bool { return fs.OpenConnections() == 2 }); err != nil {
		t.Fatalf("both did not connect: %v\n%s\n%s", err, out1, out2)
	}
	for i := range 25 {
		if _, _, _, err := fs.SendSlashCommand(slacktest.SlashCommand{Text: fmt.Sprintf("+1212555%04d", i), UserID: "U0CALLER", ChannelID: "C0INCIDENT"}); err != nil {
			t.Fatal(err)
		}
	}
	refused := func() int {
		n := 0
		for _, r := range fs.Responses() {
			if strings.Contains(r.Text, "You have dialled many people lately (the limit is 1 a minute), so nothing was dialled") {
				n++
			}
		}
		return n
	}
	if err := fs.Wait(ctx, func() bool { return fs.AckCount() >= 25 && len(phloActions(fp)) >= 20 && refused() >= 5 }); err != nil {
		t.Fatalf("%d PHLO requests, %d refused: %v\n%s\n%s", len(phloActions(fp)), refused(), err, out1, out2)
	}
	// Once both have stopped, nothing more can go out: exactly the burst
	// of 20 did.
	stopAll(t, 15*time.Second, first, second)
	if n := len(phloActions(fp)); n != 20 {
		t.Errorf("%d PHLO requests from one person's 25 adds over two processes, want 20", n)
	}
	// The two processes really shared the work: each took some adds. (Read
	// once they have stopped: a process logs an add after PHLO answers it,
	// which may be after the fake counted the request.)
	for _, out := range []fmt.Stringer{out1, out2} {
		if !strings.Contains(out.String(), `"msg":"add"`) {
			t.Errorf("a process dialled nobody; the test proves nothing:\n%s", out)
		}
	}
}
