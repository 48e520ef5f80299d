package bot_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mpc-bot/mpc-bot/bot"
	"github.com/mpc-bot/mpc-bot/bot/slacktest"
)

// How the Socket Mode session ends: Socket Mode turned off, tokens
// revoked, tokens refused at start, and the network dropping the socket,
// which is none of those.

// errorLines are the log lines at error level.
func errorLines(logs string) []string {
	var out []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, `"level":"ERROR"`) {
			out = append(out, l)
		}
	}
	return out
}

// waitStopped waits until the bot has stopped for good. Nothing changes
// in the fake Slack then, so it polls, as idle does.
func (h *harness) waitStopped() {
	h.t.Helper()
	ctx := h.ctx()
	for h.bot.SlackFault() == nil {
		select {
		case <-ctx.Done():
			h.t.Fatalf("the bot did not stop for good\nlogs:\n%s", h.logs.String())
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func TestSocketModeTurnedOffStopsTheBot(t *testing.T) {
	h := newHarness(t)
	opens := h.slack.CallCount("apps.connections.open")
	h.slack.DisableSocketMode()
	h.waitStopped()
	if h.bot.Connected() {
		t.Error("Connected() after Socket Mode was turned off")
	}
	err := h.shutdown()
	if !errors.Is(err, bot.ErrSocketModeDisabled) || errors.Is(err, bot.ErrSlackAuth) {
		t.Fatalf("Run = %v, want ErrSocketModeDisabled and not a token problem", err)
	}
	for _, want := range []string{"Socket Mode", "turn it back on", "api.slack.com/apps"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Run's error %q does not say %q", err, want)
		}
	}
	// Run has returned, and with it the Socket Mode client: the count is
	// final. At most one apps.connections.open may have raced the stop.
	if n := h.slack.CallCount("apps.connections.open") - opens; n > 1 {
		t.Errorf("%d calls to apps.connections.open after Socket Mode was turned off, want at most 1", n)
	}
	if lines := errorLines(h.logs.String()); len(lines) != 1 || !strings.Contains(lines[0], "turn it back on") {
		t.Errorf("want one error line saying to turn Socket Mode back on, got %q", lines)
	}
}

// TestLinkDisabledIsFinalEvenIfSlackWouldReconnect: the disconnect reason
// alone stops the bot, whatever apps.connections.open would answer.
func TestLinkDisabledIsFinalEvenIfSlackWouldReconnect(t *testing.T) {
	h := newHarness(t)
	h.slack.Disconnect("link_disabled")
	h.waitStopped()
	if err := h.shutdown(); !errors.Is(err, bot.ErrSocketModeDisabled) {
		t.Fatalf("Run = %v, want ErrSocketModeDisabled", err)
	}
	if n := h.slack.ConnectionsOpened(); n != 1 {
		t.Errorf("%d connections opened, want the first one only", n)
	}
}

func TestOtherDisconnectReasonsReconnect(t *testing.T) {
	h := newHarness(t)
	h.slack.Disconnect("refresh_requested")
	h.waitFor("a second connection", func() bool { return h.slack.ConnectionsOpened() == 2 && h.slack.OpenConnections() == 1 })
	h.command(callerID, publicChan, "+14155550100")
	h.waitThread(publicChan)
	if h.bot.SlackFault() != nil {
		t.Errorf("SlackFault = %v after a refresh", h.bot.SlackFault())
	}
	if !strings.Contains(h.logs.String(), `"reason":"refresh_requested"`) {
		t.Error("the disconnect reason is not logged")
	}
	if err := h.shutdown(); err != nil {
		t.Errorf("Run = %v", err)
	}
}

func TestDroppedNetworkIsNotATokenProblem(t *testing.T) {
	h := newHarness(t)
	h.slack.DropConnections()
	h.waitFor("a new connection", func() bool { return h.slack.ConnectionsOpened() == 2 && h.slack.OpenConnections() == 1 })
	h.command(callerID, publicChan, "+14155550100")
	h.waitThread(publicChan)
	h.idle()
	if !h.bot.Connected() || h.bot.SlackFault() != nil {
		t.Errorf("Connected() = %v, SlackFault() = %v after a reconnect", h.bot.Connected(), h.bot.SlackFault())
	}
	if lines := errorLines(h.logs.String()); len(lines) != 0 {
		t.Errorf("a dropped socket logged errors: %q", lines)
	}
	if err := h.shutdown(); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
}

// checkRevoked checks a run whose bot token was revoked: one error line,
// not ready, the typed reason on SlackFault (for /readyz), and the bot
// staying up, not ready, until it is stopped: a restart cannot mend a
// revoked token.
func (h *harness) checkRevoked(source string) {
	t := h.t
	t.Helper()
	h.waitStopped()
	if h.bot.Connected() {
		t.Error("Connected() after the bot token was revoked")
	}
	err := h.bot.SlackFault()
	if runErr := h.shutdown(); runErr != nil {
		t.Errorf("Run = %v after a revoked token; want it to stay up until stopped, then return nil", runErr)
	}
	var te *bot.TokenError
	if !errors.As(err, &te) || te.Token != bot.BotToken || !te.Revoked || te.Source != source {
		t.Fatalf("SlackFault() = %#v, want a revoked bot token seen in %s", err, source)
	}
	if !errors.Is(err, bot.ErrTokenRevoked) || !errors.Is(err, bot.ErrSlackAuth) {
		t.Errorf("SlackFault() = %v does not match ErrTokenRevoked and ErrSlackAuth", err)
	}
	if lines := errorLines(h.logs.String()); len(lines) != 1 || !strings.Contains(lines[0], "reinstall the app") {
		t.Errorf("want one error line saying to reinstall the app, got %d:\n%s", len(lines), strings.Join(lines, "\n"))
	}
}

func TestTokensRevokedEventStopsTheBot(t *testing.T) {
	h := newHarness(t)
	h.slack.RevokeTokens()
	if _, err := h.slack.SendTokensRevoked(); err != nil {
		t.Fatal(err)
	}
	h.checkRevoked("tokens_revoked event")
	// The bot closed its socket, so it takes no more envelopes, and did
	// not open another. (The fake learns of the close a moment later.)
	h.waitFor("the socket to close", func() bool { return h.slack.OpenConnections() == 0 })
	if opened := h.slack.ConnectionsOpened(); opened != 1 {
		t.Errorf("%d sockets opened; want 1", opened)
	}
}

func TestRevokedUserTokensAreNotTheBots(t *testing.T) {
	h := newHarness(t)
	env, err := h.slack.SendEvent(map[string]any{
		"type":   "tokens_revoked",
		"tokens": map[string]any{"oauth": []string{callerID}, "bot": []string{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.slack.WaitAck(h.ctx(), env); err != nil {
		t.Fatal(err)
	}
	h.command(callerID, publicChan, "+14155550100")
	h.waitThread(publicChan)
	if h.bot.SlackFault() != nil || !h.bot.Connected() {
		t.Errorf("SlackFault() = %v, Connected() = %v after user tokens were revoked", h.bot.SlackFault(), h.bot.Connected())
	}
}

// TestRevokedTokenAnsweringAWebAPICallStopsTheBot needs the posting
// helpers in post.go to report to checkBotToken and stop at botTokenGone.
// The command's ack races with the stop: the request is recorded before
// the ack is queued, and the announcement that finds the token revoked
// may close the socket first. A lost ack is harmless (Slack re-delivers,
// and the recorded request's key is adopted, never dialled twice), so
// the test does not wait for it.
func TestRevokedTokenAnsweringAWebAPICallStopsTheBot(t *testing.T) {
	h := newHarness(t)
	h.slack.RevokeTokens()
	if _, _, _, err := h.slack.SendSlashCommand(slacktest.SlashCommand{Text: "+14155550100", UserID: callerID, ChannelID: publicChan}); err != nil {
		t.Fatal(err)
	}
	h.checkRevoked("chat.postMessage")
	if n := h.slack.CallCount("chat.postMessage") + h.slack.CallCount("chat.postEphemeral"); n > 1 {
		t.Errorf("%d posts tried with a revoked token, want 1", n)
	}
}

// TestAppTokenRevokedWhileRunning: a socket dropped after the app-level
// token was revoked cannot be reopened; that is a revoked token, not a
// network problem.
func TestAppTokenRevokedWhileRunning(t *testing.T) {
	h := newHarness(t)
	h.slack.RevokeTokens()
	h.slack.DropConnections()
	h.waitStopped()
	err := h.bot.SlackFault()
	if runErr := h.shutdown(); runErr != nil {
		t.Errorf("Run = %v; want it to stay up, not ready, until stopped", runErr)
	}
	var te *bot.TokenError
	if !errors.As(err, &te) || te.Token != bot.AppToken || !te.Revoked || te.Source != "apps.connections.open" || te.Code != "invalid_auth" {
		t.Fatalf("SlackFault() = %#v, want the app-level token revoked", err)
	}
	if lines := errorLines(h.logs.String()); len(lines) != 1 {
		t.Errorf("want one error line, got %d:\n%s", len(lines), strings.Join(lines, "\n"))
	}
}

// runAlone runs one more bot against api until Run returns by itself.
func runAlone(t *testing.T, h *harness, api *slack.Client) error {
	t.Helper()
	b, err := bot.New(bot.Config{
		API: api, Service: h.svc, DefaultRegion: "GB",
		Logger:        slog.New(slog.NewJSONHandler(h.logs, nil)),
		SocketOptions: []socketmode.Option{socketmode.OptionPingInterval(5 * time.Second)},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = b.Run(ctx)
	if ctx.Err() != nil {
		t.Fatal("Run did not return by itself")
	}
	return err
}

func TestRefusedTokensAtStartAreNamed(t *testing.T) {
	h := newHarness(t)
	for _, tt := range []struct {
		name, botToken, appToken string
		want                     bot.Token
		source                   string
	}{
		{"bot token", "xoxb-wrong", slacktest.AppToken, bot.BotToken, "auth.test"},
		{"app-level token", slacktest.BotToken, "xapp-wrong", bot.AppToken, "apps.connections.open"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := runAlone(t, h, slack.New(tt.botToken, slack.OptionAppLevelToken(tt.appToken), slack.OptionAPIURL(h.slack.APIURL())))
			var te *bot.TokenError
			if !errors.As(err, &te) || te.Token != tt.want || te.Source != tt.source || te.Code != "invalid_auth" || te.Revoked {
				t.Fatalf("Run = %#v, want the %s refused in %s", err, tt.want, tt.source)
			}
			if !errors.Is(err, bot.ErrSlackAuth) || errors.Is(err, bot.ErrTokenRevoked) {
				t.Errorf("Run = %v: want ErrSlackAuth, not ErrTokenRevoked", err)
			}
			if strings.Contains(err.Error(), "wrong") {
				t.Errorf("the error shows the token: %v", err)
			}
		})
	}
}

func TestUnreachableSlackIsNotATokenProblem(t *testing.T) {
	h := newHarness(t)
	gone := slacktest.NewServer()
	gone.Close()
	err := runAlone(t, h, slack.New(slacktest.BotToken, slack.OptionAppLevelToken(slacktest.AppToken), slack.OptionAPIURL(gone.APIURL())))
	if !errors.Is(err, bot.ErrSlackUnreachable) || errors.Is(err, bot.ErrSlackAuth) {
		t.Fatalf("Run = %v, want ErrSlackUnreachable and not a token problem", err)
	}
}

// TestUnreadableEnvelopeIsAckedAndNotLogged: an envelope slack-go cannot
// read is acked, or Slack would re-deliver it for ever, and its raw text
// (a response_url, a typed number) stays out of the log.
func TestUnreadableEnvelopeIsAckedAndNotLogged(t *testing.T) {
	h := newHarness(t)
	err := h.slack.Send(slacktest.Envelope{EnvelopeID: "EBAD1", Type: "slash_commands", Payload: map[string]any{
		"command": 42, "text": "+14155550100", "response_url": "https://hooks.slack.test/commands/secret-path",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.slack.WaitAck(h.ctx(), "EBAD1"); err != nil {
		t.Fatalf("the unreadable envelope was not acked: %v\n%s", err, h.logs.String())
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "ignored an envelope that could not be read") {
		t.Errorf("nothing logged about the unreadable envelope:\n%s", logs)
	}
	if strings.Contains(logs, "secret-path") {
		t.Errorf("the envelope's response_url reached the log:\n%s", logs)
	}
}
