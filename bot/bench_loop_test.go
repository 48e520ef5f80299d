package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mpc-bot/mpc-bot/bot/slacktest"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

// BenchmarkSlackGoLoop is the Go baseline: /mpc-add as a plain slack-go
// Socket Mode loop, the way a small bot is usually written. The loop acks
// each command as soon as it reads it; a goroutine per command then finds
// the numbers (a directory map, else users.info, cached), sends one PHLO
// request with net/http (no pacing, no retries, no database) and posts the
// outcome. It runs mpc-bot's three measurements. AckOnlyBurst is the
// floor of any slack-go bot on this machine: the same loop doing no work at
// all, only acks.
func BenchmarkSlackGoLoop(b *testing.B) {
	start := func(b *testing.B, fp *phlotest.Server) rig { return startLoop(b, fp, false) }
	b.Run("TimeToRing", func(b *testing.B) { benchmarkTimeToRing(b, start) })
	b.Run("AccountLimitBurst", func(b *testing.B) { measureAccountLimitBurst(b, start) })
	b.Run("AckBurst", func(b *testing.B) { measureAckBurst(b, start) })
	b.Run("AckOnlyBurst", func(b *testing.B) {
		measureAckBurst(b, func(b *testing.B, fp *phlotest.Server) rig { return startLoop(b, fp, true) })
	})
}

// newBaselineSlack is a fake Slack with the harness's fixtures that the
// baselines use (the harness makes its own for mpc-bot).
func newBaselineSlack() *slacktest.Server {
	fs := slacktest.NewServer(slacktest.WithPingInterval(500 * time.Millisecond))
	fs.AddUser(slacktest.User{ID: callerID, Name: "carol"})
	fs.AddUser(slacktest.User{ID: profileUserID, Name: "pat", Phone: "020 7946 0000"})
	fs.AddChannel(slacktest.Channel{ID: publicChan, Name: "incident-42", BotIsMember: true})
	return fs
}

// baselineDirectory is the baselines' copy of the harness's directory
// file: the numbers known without asking Slack.
func baselineDirectory() map[string]string { return map[string]string{callerID: callerNumber} }

// baselineCountryCode is the country code the baselines give profile
// phones written without one, as mpc-bot's DefaultRegion "GB" does.
const baselineCountryCode = "44"

// startLoop is the slack-go loop as a contender; ackOnly leaves out the
// work.
func startLoop(b *testing.B, fp *phlotest.Server, ackOnly bool) rig {
	fs := newBaselineSlack()
	cfg := fp.Config()
	api := slack.New(slacktest.BotToken, slack.OptionAppLevelToken(slacktest.AppToken), slack.OptionAPIURL(fs.APIURL()))
	l := &loopBot{
		api:       api,
		smc:       socketmode.New(api, socketmode.OptionPingInterval(5*time.Second)),
		http:      &http.Client{Timeout: 10 * time.Second},
		phloURL:   fmt.Sprintf("%s/v1/phlo/%s/multi_party_call/%s", fp.URL(), cfg.PhloID, cfg.NodeID),
		authID:    cfg.AuthID,
		authToken: cfg.AuthToken,
		directory: baselineDirectory(),
		ackOnly:   ackOnly,
		phones:    map[string]string{},
	}
	ctx, cancel := context.WithCancel(context.Background())
	connected := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.run(ctx, connected)
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			<-done
			fs.Close()
		})
	}
	b.Cleanup(stop)
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		b.Fatal("the slack-go loop did not connect to the fake Slack")
	}
	return rig{
		slack: fs,
		phlo:  fp,
		finished: func(n int) bool {
			if ackOnly {
				return fs.AckCount() >= n
			}
			// Every command posts exactly one message.
			return len(fs.Messages()) >= n
		},
		stop: stop,
	}
}

// loopBot is the baseline bot.
type loopBot struct {
	api                        *slack.Client
	smc                        *socketmode.Client
	http                       *http.Client
	phloURL, authID, authToken string
	directory                  map[string]string
	ackOnly                    bool // ack and do nothing else

	mu     sync.Mutex
	phones map[string]string // user ID -> number from their profile
}

// run is the event loop; it returns once the client stopped and every
// command it started is done.
func (l *loopBot) run(ctx context.Context, connected chan<- struct{}) {
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		_ = l.smc.RunContext(ctx)
	}()
	var work sync.WaitGroup
	defer work.Wait()
	once := sync.Once{}
	for {
		select {
		case <-stopped:
			return
		case evt := <-l.smc.Events:
			switch evt.Type {
			case socketmode.EventTypeConnected:
				once.Do(func() { close(connected) })
			case socketmode.EventTypeSlashCommand:
				_ = l.smc.Ack(*evt.Request)
				if sc, ok := evt.Data.(slack.SlashCommand); ok && !l.ackOnly {
					work.Go(func() { l.add(ctx, sc) })
				}
			}
		}
	}
}

// add dials the number typed, or the person mentioned, and posts the
// outcome in the channel.
func (l *loopBot) add(ctx context.Context, sc slack.SlashCommand) {
	_, _, _ = l.api.PostMessageContext(ctx, sc.ChannelID, slack.MsgOptionText(l.dial(ctx, sc), false))
}

// dial sends the PHLO request and says how it went.
func (l *loopBot) dial(ctx context.Context, sc slack.SlashCommand) string {
	to := strings.TrimSpace(sc.Text)
	if user, ok := mentioned(to); ok {
		n, err := l.numberOf(ctx, user)
		if err != nil {
			return ":x: Could not add: " + err.Error()
		}
		to = n
	}
	caller, err := l.numberOf(ctx, sc.UserID)
	switch {
	case err != nil:
		return ":x: Could not add: " + err.Error()
	case to == "" || caller == "":
		return ":x: I don't know the number."
	}
	body, _ := json.Marshal(map[string]string{"action": "call", "to": to, "role": "agent", "trigger_source": caller})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.phloURL, bytes.NewReader(body))
	if err != nil {
		return ":x: Could not add: " + err.Error()
	}
	req.SetBasicAuth(l.authID, l.authToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.http.Do(req)
	if err != nil {
		return fmt.Sprintf(":x: Could not add %s: %v", to, err)
	}
	defer resp.Body.Close()
	var out struct {
		APIID string `json:"api_id"`
		Error string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode/100 != 2 {
		return fmt.Sprintf(":x: Could not add %s: HTTP %d %s", to, resp.StatusCode, out.Error)
	}
	return fmt.Sprintf(":white_check_mark: Plivo is dialling %s (api_id %s).", to, out.APIID)
}

// numberOf finds a person's number: the directory, else their Slack
// profile, kept for the bot's life.
func (l *loopBot) numberOf(ctx context.Context, user string) (string, error) {
	if n, ok := l.directory[user]; ok {
		return n, nil
	}
	l.mu.Lock()
	n, ok := l.phones[user]
	l.mu.Unlock()
	if ok {
		return n, nil
	}
	u, err := l.api.GetUserInfoContext(ctx, user)
	if err != nil {
		return "", err
	}
	n = e164(u.Profile.Phone)
	l.mu.Lock()
	l.phones[user] = n
	l.mu.Unlock()
	return n, nil
}

// mentioned returns the user of a text that is one escaped mention,
// "<@U123|name>" or "<@U123>".
func mentioned(text string) (string, bool) {
	inner, ok := strings.CutPrefix(text, "<@")
	if !ok {
		return "", false
	}
	inner, ok = strings.CutSuffix(inner, ">")
	if !ok {
		return "", false
	}
	user, _, _ := strings.Cut(inner, "|")
	return user, user != ""
}

// e164 turns a profile phone such as "020 7946 0000" into "+442079460000",
// as bench/bolt/app.js does.
func e164(phone string) string {
	var d strings.Builder
	for _, r := range phone {
		if r == '+' || r >= '0' && r <= '9' {
			d.WriteRune(r)
		}
	}
	s := d.String()
	if s == "" || strings.HasPrefix(s, "+") {
		return s
	}
	return "+" + baselineCountryCode + strings.TrimPrefix(s, "0")
}
