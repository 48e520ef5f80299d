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
	"github.com/mpc-bot/mpc-bot/conference"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
	"github.com/mpc-bot/mpc-bot/store"
	"github.com/mpc-bot/mpc-bot/store/storetest"
)

// TestKillDuringAddLeavesARecord kills the bot with SIGKILL while PHLO is
// still answering: the audit trail already holds the add as pending, and
// the next start takes the dead process's request over, records the add
// as outcome unknown (never lost, never dialled again) and tells the
// person so.
func TestKillDuringAddLeavesARecord(t *testing.T) {
	fs, fp := newFakes(t)
	dbPath := filepath.Join(t.TempDir(), "audit.db")
	env := append(settingsFor(t, fs, fp), "MPC_DB_PATH="+dbPath, "MPC_TAKEOVER_AFTER=2s")
	cmd, out := start(t, env...)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := fs.Wait(ctx, func() bool { return fs.OpenConnections() == 1 }); err != nil {
		t.Fatalf("not connected: %v\n%s", err, out)
	}
	fp.Enqueue(phlotest.Response{Status: 201, Delay: 30 * time.Second})
	env0, responseURL, _, err := fs.SendSlashCommand(slacktest.SlashCommand{Text: "+14155550100 customer", UserID: "U0CALLER", ChannelID: "C0INCIDENT"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.WaitAck(ctx, env0); err != nil {
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
	entries, err := st.Entries(ctx, conference.EntryQuery{Team: slacktest.TeamID, Channel: "C0INCIDENT", Limit: 10})
	if err != nil || len(entries) != 1 {
		t.Fatalf("after kill -9: %+v, %v", entries, err)
	}
	e := entries[0]
	if e.Status != conference.StatusPending || e.To != "+14155550100" || e.Role != "customer" || e.TriggerSource != "+14155550199" || e.By.User != "U0CALLER" {
		t.Fatalf("the add was not recorded before PHLO answered: %+v", e)
	}

	// The next start finds the dead process's request once its heartbeat
	// is stale, and tells the person the outcome is unknown.
	restarted, out2 := start(t, env...)
	told := func() bool {
		for _, r := range fs.Responses() {
			if r.URL == responseURL && strings.Contains(r.Text, "outcome is unknown") {
				return true
			}
		}
		return false
	}
	if err := fs.Wait(ctx, told); err != nil {
		t.Fatalf("the person was not told after the restart: %v\n%s", err, out2)
	}
	entries, _ = st.Entries(ctx, conference.EntryQuery{Team: slacktest.TeamID, Channel: "C0INCIDENT", Limit: 10})
	if entries[0].Status != conference.StatusUnknown || entries[0].Cause != conference.CauseStopped {
		t.Errorf("abandoned add: %+v", entries[0])
	}
	if n := len(fp.Requests()); n != 1 {
		t.Errorf("PHLO got %d requests; the restart must not dial again", n)
	}
	_ = restarted.Process.Signal(syscall.SIGTERM)
	waitExit(t, restarted, 10*time.Second)
}

// TestTwoProcessesOneDatabaseDialOnce starts two bot processes sharing a
// database, delivers the same envelope to each (as Slack may after a
// missed ack), and expects one PHLO request.
func TestTwoProcessesOneDatabaseDialOnce(t *testing.T) {
	run := func(t *testing.T, dbSetting string) {
		fs, fp := newFakes(t)
		settings := append(settingsFor(t, fs, fp), dbSetting)
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
		// A graceful stop finishes everything accepted, so once both have
		// exited nothing can still be on its way to PHLO.
		for _, p := range []*os.Process{first.Process, second.Process} {
			_ = p.Signal(syscall.SIGTERM)
		}
		waitExit(t, first, 10*time.Second)
		waitExit(t, second, 10*time.Second)
		if n := len(fp.Requests()); n != 1 {
			t.Errorf("two processes made %d PHLO requests for one envelope", n)
		}
	}
	storetest.ForEachBackend(t, func(t *testing.T, cfg store.Config) {
		if cfg.URL != "" {
			run(t, "MPC_DATABASE_URL="+cfg.URL)
		} else {
			run(t, "MPC_DB_PATH="+cfg.Path)
		}
	})
}
