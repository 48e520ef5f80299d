package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/mpc-bot/mpc-bot/bot/slacktest"
	"github.com/mpc-bot/mpc-bot/config"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

// The sandbox workspace: who is there and what they have.
const (
	sandboxChannel = "C0INCIDENT"
	sandboxYou     = "U0YOU"
)

var sandboxPeople = []slacktest.User{
	{ID: sandboxYou, Name: "you", Phone: "+1 415 555 0199"},
	{ID: "U0ALICE", Name: "alice", Phone: "+1 415 555 0101"},
	{ID: "U0BOB", Name: "bob"}, // in the directory file, as a SIP address
	{ID: "U0CAROL", Name: "carol"},
}

const sandboxDirectory = `users:
  U0BOB: "sip:bob@example.sip.plivo.com"
`

// runSandbox runs the real bot wiring against an in-process fake Slack
// workspace and fake PHLO runner, reading commands from stdin and printing
// what the channel, the user and PHLO see. It needs no settings.
func runSandbox(ctx context.Context, stdin io.Reader, out io.Writer) error {
	fs := slacktest.NewServer()
	defer fs.Close()
	fp := phlotest.NewServer(phlotest.Config{})
	defer fp.Close()
	for _, u := range sandboxPeople {
		fs.AddUser(u)
	}
	fs.AddUserGroup("S0ONCALL", "oncall", "U0ALICE", "U0BOB")
	fs.AddChannel(slacktest.Channel{ID: sandboxChannel, Name: "incident", BotIsMember: true})

	dir, err := os.MkdirTemp("", "mpc-bot-sandbox")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	dirFile := filepath.Join(dir, "directory.yaml")
	if err := os.WriteFile(dirFile, []byte(sandboxDirectory), 0o600); err != nil {
		return err
	}

	cfg := fp.Config()
	started := make(chan Running, 1)
	m := &Main{
		Settings: config.Settings{
			SlackBotToken: slacktest.BotToken, SlackAppToken: slacktest.AppToken, SlackAPIURL: fs.APIURL(),
			PlivoAuthID: cfg.AuthID, PlivoAuthToken: cfg.AuthToken, PhloID: cfg.PhloID, PhloNodeID: cfg.NodeID,
			PhloBaseURL: fp.URL(), Directory: dirFile, DefaultRegion: "US",
			DBPath: filepath.Join(dir, "sandbox.db"), UserDialsPerMinute: 30,
		},
		Logger:  slog.New(slog.DiscardHandler),
		OnStart: func(r Running) { started <- r },
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- m.Run(runCtx) }()

	var b Running
	select {
	case b = <-started:
	case err := <-done:
		return fmt.Errorf("sandbox: %w", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := fs.Wait(wctx, func() bool { return fs.OpenConnections() > 0 }); err != nil {
		return fmt.Errorf("sandbox: the bot did not connect to the fake Slack: %w", err)
	}

	fmt.Fprint(out, `mpc-bot sandbox: the real bot against a built-in fake Slack workspace and fake PHLO runner.
You are @you in #incident. Also here: @alice (number in her Slack profile), @bob (a SIP address in the
directory file), @carol (no number anywhere) and the user group @oncall (alice and bob).
Try:  /mpc-add +14155550100 agent    /mpc-add @alice @bob customer    /mpc-add @oncall
      /mpc-add +1 415 555          /mpc-add help                      @mpc-bot add @carol
End with Ctrl-D.
`)
	v := &sandboxView{fs: fs, fp: fp, out: out}
	scanner := bufio.NewScanner(stdin)
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fmt.Fprintf(out, "\n> %s\n", line)
		if err := v.send(line); err != nil {
			fmt.Fprintln(out, "  ", err)
			continue
		}
		v.settle(ctx, b)
		v.show()
	}
	stop()
	if err := <-done; err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	return scanner.Err()
}

// sandboxView sends what the person types and prints what changed.
type sandboxView struct {
	fs  *slacktest.Server
	fp  *phlotest.Server
	out io.Writer
	// how much of each record was already shown
	acks, messages, ephemerals, responses, updates, views, requests int
	mentionSeq                                                      int
}

var atWord = regexp.MustCompile(`@([a-z0-9._-]+)`)

// escapeMentions does what Slack does to "@alice" in a command with
// should_escape: it becomes "<@U0ALICE|alice>".
func escapeMentions(s string) string {
	return atWord.ReplaceAllStringFunc(s, func(w string) string {
		name := w[1:]
		if name == "oncall" {
			return "<!subteam^S0ONCALL|@oncall>"
		}
		for _, u := range sandboxPeople {
			if u.Name == name {
				return "<@" + u.ID + "|" + name + ">"
			}
		}
		return w
	})
}

func (v *sandboxView) send(line string) error {
	switch {
	case line == "/mpc-add" || strings.HasPrefix(line, "/mpc-add "):
		_, _, _, err := v.fs.SendSlashCommand(slacktest.SlashCommand{
			Text: escapeMentions(strings.TrimSpace(strings.TrimPrefix(line, "/mpc-add"))), UserID: sandboxYou, ChannelID: sandboxChannel,
		})
		return err
	case strings.HasPrefix(line, "@mpc-bot"):
		v.mentionSeq++
		ts := fmt.Sprintf("1700000000.%06d", v.mentionSeq)
		_, err := v.fs.SendEvent(map[string]any{
			"type": "app_mention", "user": sandboxYou, "channel": sandboxChannel, "ts": ts, "event_ts": ts,
			"text": "<@" + slacktest.BotUserID + ">" + escapeMentions(strings.TrimPrefix(line, "@mpc-bot")),
		})
		return err
	}
	return errors.New("type /mpc-add … or @mpc-bot add …; /mpc-add help explains")
}

// settle waits until the bot acked and finished everything it took on.
func (v *sandboxView) settle(ctx context.Context, b Running) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_ = v.fs.Wait(ctx, func() bool { return v.fs.AckCount() > v.acks })
	for !b.Idle() && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
}

var userMention = regexp.MustCompile(`<@(U[A-Z0-9]+)(?:\|[^>]*)?>|<!subteam\^([A-Z0-9]+)(?:\|[^>]*)?>`)

// readable renders Slack markup as a person sees it.
func readable(s string) string {
	s = userMention.ReplaceAllStringFunc(s, func(m string) string {
		sub := userMention.FindStringSubmatch(m)
		if sub[2] != "" {
			return "@oncall"
		}
		for _, u := range sandboxPeople {
			if u.ID == sub[1] {
				return "@" + u.Name
			}
		}
		return m
	})
	s = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
	return strings.ReplaceAll(s, "\n", "\n             ")
}

func (v *sandboxView) show() {
	for _, a := range v.fs.Acks()[v.acks:] {
		if len(a.Payload) > 0 && string(a.Payload) != "null" {
			var p struct{ Text string }
			if json.Unmarshal(a.Payload, &p) == nil && p.Text != "" {
				fmt.Fprintf(v.out, "  only you    %s\n", readable(p.Text))
			}
		}
	}
	v.acks = v.fs.AckCount()
	views := v.fs.Views()
	for range views[v.views:] {
		fmt.Fprintln(v.out, "  a form      opened (Slack would show the modal; the sandbox cannot fill it in: type the people after /mpc-add instead)")
	}
	v.views = len(views)
	msgs := v.fs.Messages()
	for _, m := range msgs[v.messages:] {
		where := "#incident  "
		if m.ThreadTS != "" {
			where = "  └ thread  "
		}
		fmt.Fprintf(v.out, "  %s %s\n", where, readable(m.Text))
	}
	v.messages = len(msgs)
	for _, e := range v.fs.Ephemerals()[v.ephemerals:] {
		fmt.Fprintf(v.out, "  only you    %s\n", readable(e.Text))
		v.ephemerals++
	}
	for _, r := range v.fs.Responses()[v.responses:] {
		fmt.Fprintf(v.out, "  only you    %s\n", readable(r.Text))
		v.responses++
	}
	for _, u := range v.fs.Updates()[v.updates:] {
		fmt.Fprintf(v.out, "  (edited)    %s\n", readable(u.Text))
		v.updates++
	}
	for _, r := range v.fp.Requests()[v.requests:] {
		fmt.Fprintf(v.out, "  PHLO        %s %s %s\n              → %d api_id %s\n", r.Method, r.Path, strings.TrimSpace(string(r.RawBody)), r.Status, r.APIID)
		v.requests++
	}
}
