package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
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
	if err := fp.Wait(ctx, startChecks(fp)+1); err != nil {
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
	entries, err = st.Entries(ctx, conference.EntryQuery{Team: slacktest.TeamID, Channel: "C0INCIDENT", Limit: 10})
	if err != nil || len(entries) != 1 || entries[0].Status != conference.StatusUnknown || entries[0].Cause != conference.CauseStopped {
		t.Errorf("abandoned add: %+v, %v", entries, err)
	}
	if n := len(phloActions(fp)); n != 1 {
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
		stopAll(t, 10*time.Second, first, second)
		if n := len(phloActions(fp)); n != 1 {
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

// TestKillOneOfThreeReplicasLosesNothing kills one of three replicas
// sharing PostgreSQL with SIGKILL in the middle of 60 adds. Every add
// that was acknowledged is, afterwards, either dialled or reported to its
// person (outcome unknown if its PHLO request was out, not dialled with a
// Retry otherwise), and no number is dialled twice.
func TestKillOneOfThreeReplicasLosesNothing(t *testing.T) {
	base := os.Getenv("MPC_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("MPC_TEST_DATABASE_URL is not set: several replicas need PostgreSQL (eval \"$(.ci/postgres)\")")
	}
	fs, fp := newFakes(t)
	settings := append(settingsFor(t, fs, fp), "MPC_DATABASE_URL="+storetest.FreshPostgres(t, base),
		"MPC_TAKEOVER_AFTER=2s", "MPC_SHOW_NUMBERS=true", "MPC_USER_DIALS_PER_MINUTE=100000")
	var procs []*exec.Cmd
	var outs []*processOutput
	for range 3 {
		cmd, out := start(t, settings...)
		procs, outs = append(procs, cmd), append(outs, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := fs.Wait(ctx, func() bool { return fs.OpenConnections() == 3 }); err != nil {
		t.Fatalf("not all connected: %v", err)
	}
	// Each PHLO request takes a while, so the kill finds some requests
	// queued, some sent and unanswered, some done.
	fp.SetFailure(phlotest.Failure{Delay: 150 * time.Millisecond})
	numbers := map[string]string{} // envelope → number
	var envs []string
	for i := range 60 {
		n := fmt.Sprintf("+1212555%04d", i)
		env, _, _, err := fs.SendSlashCommand(slacktest.SlashCommand{Text: n, UserID: "U0CALLER", ChannelID: "C0INCIDENT"})
		if err != nil {
			t.Fatal(err)
		}
		numbers[env], envs = n, append(envs, env)
	}
	if err := fp.Wait(ctx, startChecks(fp)+20); err != nil {
		t.Fatal(err)
	}
	victim := procs[0]
	if err := victim.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = victim.Wait()

	acked := map[string]bool{}
	for _, a := range fs.Acks() {
		acked[a.EnvelopeID] = true
	}
	// said reports whether the person heard of number n: its outcome in
	// the channel, or a private word about it.
	said := func(n string) bool {
		for _, m := range fs.Messages() {
			if m.ThreadTS != "" && strings.Contains(m.Text, n) {
				return true
			}
		}
		for _, r := range fs.Responses() {
			if strings.Contains(r.Text, n) {
				return true
			}
		}
		return false
	}
	if err := fs.Wait(ctx, func() bool {
		for env, n := range numbers {
			if acked[env] && !said(n) {
				return false
			}
		}
		return true
	}); err != nil {
		var silent []string
		for _, env := range envs {
			if acked[env] && !said(numbers[env]) {
				silent = append(silent, numbers[env])
			}
		}
		t.Fatalf("%d of %d acknowledged adds were neither dialled nor reported: %v\n%s\n%s", len(silent), len(acked), silent, outs[1], outs[2])
	}
	// The kill left the victim's unfinished requests to the others;
	// without any, the test would prove nothing.
	if survivors := outs[1].String() + outs[2].String(); !strings.Contains(survivors, "took over a request of a stopped instance") &&
		!strings.Contains(survivors, "adopted a re-delivered request of a stopped instance") {
		t.Errorf("no survivor took over anything: the kill found the victim idle\n%s\n%s", outs[1], outs[2])
	}
	seen := map[string]int{}
	for _, r := range phloActions(fp) {
		seen[r.To]++
		if seen[r.To] > 1 {
			t.Errorf("%s was dialled twice", r.To)
		}
	}
	stopAll(t, 20*time.Second, procs[1:]...)
	t.Logf("%d of 60 acknowledged before the kill; %d PHLO requests", len(acked), len(phloActions(fp)))
}

// TestStopEndsWaitingAddsAtOnce: SIGTERM does not wait for adds that have
// not reached PHLO (here: waiting for their person's limit); their people
// are told, with a Retry, and the process exits.
func TestStopEndsWaitingAddsAtOnce(t *testing.T) {
	fs, fp := newFakes(t)
	cmd, out := start(t, append(settingsFor(t, fs, fp), "MPC_SHOW_NUMBERS=true")...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := fs.Wait(ctx, func() bool { return fs.OpenConnections() == 1 }); err != nil {
		t.Fatalf("not connected: %v\n%s", err, out)
	}
	var burst []string
	for i := range 20 {
		burst = append(burst, fmt.Sprintf("+1212555%04d", i))
	}
	if _, _, _, err := fs.SendSlashCommand(slacktest.SlashCommand{Text: strings.Join(burst, " "), UserID: "U0CALLER", ChannelID: "C0INCIDENT"}); err != nil {
		t.Fatal(err)
	}
	if err := fp.Wait(ctx, startChecks(fp)+20); err != nil {
		t.Fatal(err)
	}
	_, url, _, err := fs.SendSlashCommand(slacktest.SlashCommand{Text: "+14155550100", UserID: "U0CALLER", ChannelID: "C0INCIDENT"})
	if err != nil {
		t.Fatal(err)
	}
	told := func(s string) func() bool {
		return func() bool {
			for _, r := range fs.Responses() {
				if r.URL == url && strings.Contains(r.Text, s) {
					return true
				}
			}
			return false
		}
	}
	if err := fs.Wait(ctx, told("this request waits")); err != nil {
		t.Fatalf("the add does not wait for the limit: %v\n%s", err, out)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, cmd, 10*time.Second); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if !told("mpc-bot is restarting; +14155550100 was not dialled")() {
		t.Errorf("the waiting add's person was not told: %+v", fs.Responses())
	}
	if n := len(phloActions(fp)); n != 20 {
		t.Errorf("%d PHLO requests, want the 20 of the burst", n)
	}
}
