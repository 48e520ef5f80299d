package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/mpc-bot/mpc-bot/blocktext"
	"github.com/mpc-bot/mpc-bot/bot/slacktest"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

// settleTimeout bounds the wait for the bot to finish one input line. A
// PHLO that answers 429 is retried for a while, and a slow one only
// gives up after the PHLO client's timeout, so it is generous.
const settleTimeout = 2 * time.Minute

// runSandbox runs the real bot wiring against an in-process fake Slack
// workspace and fake PHLO runner, reading what a person would type from
// stdin and printing what they would see: messages with their buttons,
// edits, private replies, the form, and the PHLO requests. It needs no
// settings, and ends at the end of input.
func runSandbox(ctx context.Context, stdin io.Reader, out io.Writer) error {
	fs := newSandboxSlack()
	defer fs.Close()
	fp := phlotest.NewServer(sandboxPHLO())
	defer fp.Close()

	dir, err := os.MkdirTemp("", "mpc-bot-sandbox")
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	defer os.RemoveAll(dir)
	settings, err := sandboxSettings(dir, fs, fp)
	if err != nil {
		return err
	}

	started := make(chan Running, 1)
	m := &Main{
		Settings: settings,
		Logger:   slog.New(slog.DiscardHandler),
		OnStart:  func(r Running) { started <- r },
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- m.Run(runCtx) }()

	var running Running
	select {
	case running = <-started:
	case err := <-done:
		return fmt.Errorf("sandbox: %w", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := fs.Wait(wctx, func() bool { return fs.OpenConnections() > 0 }); err != nil {
		return fmt.Errorf("sandbox: the bot did not connect to the fake Slack: %w", err)
	}

	fmt.Fprint(out, sandboxIntro)
	s := newSandbox(fs, fp, running, out)
	s.settle(ctx, "")
	if len(fp.Requests()) > 0 {
		fmt.Fprintln(out, "\nBefore it connected, mpc-bot checked each bridge's PHLO and node:")
	}
	s.show()

	// A person at a terminal sees what they type; a script's lines are
	// echoed, so the transcript reads the same.
	interactive := isTerminal(stdin)
	lines, readErr := readLines(ctx, stdin)
	for {
		if interactive {
			fmt.Fprint(out, "\n> ")
		}
		var line string
		var more bool
		select {
		case <-ctx.Done():
		case line, more = <-lines:
		}
		if !more {
			if interactive {
				fmt.Fprintln(out)
			}
			break
		}
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") || (line == "" && s.form == nil) {
			continue
		}
		if !interactive {
			fmt.Fprintf(out, "\n> %s\n", line)
		}
		envelope := s.handle(line)
		s.settle(ctx, envelope)
		s.show()
		s.prompt()
	}
	if s.form != nil {
		s.say("sandbox", "The form was still open; it closes with the sandbox.")
	}
	stop()
	if err := <-done; err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	if ctx.Err() != nil {
		return nil // interrupted: a normal way to leave
	}
	if err := <-readErr; err != nil {
		return fmt.Errorf("sandbox: reading input: %w", err)
	}
	return nil
}

// readLines reads r line by line in the background, so that an interrupt
// is not stuck behind a read. The channel closes at the end of input,
// and then readErr says why it ended. It stops handing out lines when ctx
// ends.
func readLines(ctx context.Context, r io.Reader) (lines <-chan string, readErr <-chan error) {
	lc := make(chan string)
	ec := make(chan error, 1)
	go func() {
		defer close(lc)
		scanner := bufio.NewScanner(r)
		for scanner.Scan() {
			select {
			case lc <- scanner.Text():
			case <-ctx.Done():
				return
			}
		}
		ec <- scanner.Err()
	}()
	return lc, ec
}

// isTerminal reports whether r is a terminal a person types into.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// sandboxIntro tells a newcomer where they are and what they can type.
const sandboxIntro = `mpc-bot sandbox: the real bot, wired as in production, against a built-in fake Slack workspace and
fake PHLO runner. Nothing leaves this machine and no settings are needed.

You are @you in #incident. Also here: @alice (a number in her Slack profile), @bob (a SIP address in
the directory file), @carol (no number anywhere) and the user group @oncall (alice and bob). There are
two bridges: default, and dbs (database incidents).

Type what you would type in Slack:
  /mpc-add +14155550100 agent    /mpc-add @alice @bob customer    /mpc-add @oncall    /mpc-add help
  /mpc-add roster                /mpc-add bridge dbs              @mpc-bot add @carol
  /mpc-add                       opens the form: answer each field in turn (an empty line keeps
                                 what is there, - empties it), then type submit; cancel closes it
and steer the rest:
  press 3                        press button [3]. Every button printed gets the next free number,
                                 and an edited message gets new ones. A button that "asks first"
                                 shows its question: answer yes to go ahead, or no.
  phlo 500 | 401 | 429 | slow | ok
                                 make the fake PHLO answer every request that way (slow: no answer
                                 before mpc-bot gives up, about 10 s), or answer normally again
  help                           this list again
"only you" marks what only you can see; "· " starts a small grey context line. Lines starting with
# are comments. End with Ctrl-D.
`

// sandbox is one session: the fakes, the running bot, and what the person
// was shown so far.
type sandbox struct {
	fs    *slacktest.Server
	fp    *phlotest.Server
	bot   Running
	out   io.Writer
	names blocktext.Names

	// how much of each record was shown already
	acks, messages, ephemerals, responses, updates, views, requests int

	byTS    map[string]*shownMessage // channel messages and ephemerals
	byURL   map[string]*shownMessage // private messages a response_url replaces
	buttons []pressable              // button [n] is buttons[n-1]
	lastTop *shownMessage            // the newest top-level channel message

	confirming *pressable // a press waiting for yes or no
	form       *form      // the open form, if any

	privateSeq, actionSeq, mentionSeq int
}

func newSandbox(fs *slacktest.Server, fp *phlotest.Server, b Running, out io.Writer) *sandbox {
	return &sandbox{
		fs: fs, fp: fp, bot: b, out: out, names: sandboxNames(),
		byTS: map[string]*shownMessage{}, byURL: map[string]*shownMessage{},
	}
}

// settle waits until Slack has the bot's ack of envelope (if one was
// sent) and the bot has been idle for a few checks in a row: a request
// hands over between the bot and the service, and a single check could
// fall between them.
func (s *sandbox) settle(ctx context.Context, envelope string) {
	ctx, cancel := context.WithTimeout(ctx, settleTimeout)
	defer cancel()
	if envelope != "" {
		if _, err := s.fs.WaitAck(ctx, envelope); err != nil {
			s.say("sandbox", "mpc-bot did not acknowledge that: "+err.Error())
			return
		}
	}
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for quiet := 0; quiet < 3; {
		if s.bot.Idle() {
			quiet++
		} else {
			quiet = 0
		}
		select {
		case <-ctx.Done():
			s.say("sandbox", "mpc-bot is still busy; what it did so far follows.")
			return
		case <-tick.C:
		}
	}
}
