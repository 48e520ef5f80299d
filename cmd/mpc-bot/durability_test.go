package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/mpc-bot/mpc-bot/bot/slacktest"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
	"github.com/mpc-bot/mpc-bot/store"
	"github.com/mpc-bot/mpc-bot/store/storetest"
)

// TestKillDuringAddLeavesARecord kills the bot with SIGKILL while PHLO is
// still answering: the audit trail already holds the add, and it comes
// out as outcome unknown, never as lost or as dialled.
func TestKillDuringAddLeavesARecord(t *testing.T) {
	fs, fp := newFakes(t)
	dbPath := filepath.Join(t.TempDir(), "audit.db")
	env := append(settingsFor(t, fs, fp), "MPC_DB_PATH="+dbPath, "MPC_HTTP_ADDR=")
	cmd, out := start(t, env...)

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := fs.Wait(ctx, func() bool { return fs.OpenConnections() == 1 }); err != nil {
		t.Fatalf("not connected: %v\n%s", err, out)
	}
	fp.Enqueue(phlotest.Response{Status: 201, Delay: 30 * time.Second})
	if _, _, _, err := fs.SendSlashCommand(slacktest.SlashCommand{Text: "+14155550100 customer", UserID: "U0CALLER", ChannelID: "C0INCIDENT"}); err != nil {
		t.Fatal(err)
	}
	if err := fp.Wait(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	st, err := store.Open(ctx, store.Config{Path: dbPath})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	adds, err := st.RecentAdds(ctx, slacktest.TeamID, "C0INCIDENT", 10)
	if err != nil || len(adds) != 1 {
		t.Fatalf("after kill -9: %+v, %v", adds, err)
	}
	a := adds[0]
	if a.Status != store.StatusPending || a.To != "+14155550100" || a.Role != "customer" || a.TriggerSource != "+14155550199" || a.UserID != "U0CALLER" {
		t.Fatalf("the add was not recorded before PHLO answered: %+v", a)
	}
	// What the next start-up does with adds older than any live replica's:
	// their outcome is unknown.
	if n, err := st.AbandonPending(ctx, time.Now().Add(time.Second)); err != nil || n != 1 {
		t.Fatalf("AbandonPending = %d, %v", n, err)
	}
	adds, _ = st.RecentAdds(ctx, slacktest.TeamID, "C0INCIDENT", 10)
	if adds[0].Status != store.StatusUnknown || !strings.Contains(adds[0].Error, "stopped") {
		t.Errorf("abandoned add: %+v", adds[0])
	}
}

// TestTwoProcessesOneDatabaseDialOnce starts two bot processes sharing a
// database, delivers the same envelope to each (as Slack may after a
// missed ack), and expects one PHLO request.
func TestTwoProcessesOneDatabaseDialOnce(t *testing.T) {
	run := func(t *testing.T, dbSetting string) {
		fs, fp := newFakes(t)
		settings := append(settingsFor(t, fs, fp), dbSetting, "MPC_HTTP_ADDR=")
		first, out1 := start(t, settings...)
		second, out2 := start(t, settings...)

		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := fs.Wait(ctx, func() bool { return fs.OpenConnections() == 2 }); err != nil {
			t.Fatalf("both did not connect: %v\n%s\n%s", err, out1, out2)
		}
		// The first delivery goes to one process, the re-delivery (round
		// robin) to the other.
		env, _, _, err := fs.SendSlashCommand(slacktest.SlashCommand{Text: "+14155550100", UserID: "U0CALLER", ChannelID: "C0INCIDENT"})
		if err != nil {
			t.Fatal(err)
		}
		if err := fs.Redeliver(env, 1); err != nil {
			t.Fatal(err)
		}
		if err := fs.Wait(ctx, func() bool { return fs.AckCount() >= 2 && len(fs.Messages()) >= 2 }); err != nil {
			t.Fatalf("no outcome: %v\n%s\n%s", err, out1, out2)
		}
		time.Sleep(500 * time.Millisecond)
		if n := len(fp.Requests()); n != 1 {
			t.Errorf("two processes made %d PHLO requests for one envelope", n)
		}
		for _, p := range []*os.Process{first.Process, second.Process} {
			_ = p.Signal(syscall.SIGTERM)
		}
		waitExit(t, first, 10*time.Second)
		waitExit(t, second, 10*time.Second)
	}
	storetest.ForEachBackend(t, func(t *testing.T, cfg store.Config) {
		if cfg.URL != "" {
			run(t, "MPC_DATABASE_URL="+cfg.URL)
		} else {
			run(t, "MPC_DB_PATH="+cfg.Path)
		}
	})
}
