package slacktest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/mpc-bot/mpc-bot/bot/slacktest"
)

// newServer starts a fake with a short ping interval and a small directory.
func newServer(t testing.TB) *slacktest.Server {
	t.Helper()
	srv := slacktest.NewServer(slacktest.WithPingInterval(100 * time.Millisecond))
	t.Cleanup(srv.Close)
	srv.AddUser(slacktest.User{ID: "U1", Name: "alice", RealName: "Alice A", Phone: "+49 170 1234567"})
	srv.AddUser(slacktest.User{ID: "U2", Name: "bob", RealName: "Bob B"})
	srv.AddChannel(slacktest.Channel{ID: "C1", Name: "general", BotIsMember: true})
	srv.AddChannel(slacktest.Channel{ID: "C2", Name: "random"})
	srv.AddChannel(slacktest.Channel{ID: "G1", Name: "secret", Private: true})
	srv.AddChannel(slacktest.Channel{ID: "G2", Name: "inner", Private: true, BotIsMember: true})
	srv.AddChannel(slacktest.Channel{ID: "D1", IM: true})
	return srv
}

func newAPI(srv *slacktest.Server, token string) *slack.Client {
	return slack.New(token, slack.OptionAppLevelToken(slacktest.AppToken), slack.OptionAPIURL(srv.APIURL()))
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// client runs a real socketmode client against the fake. It acks every
// envelope (slash commands with {"text":"ack:<envelope id>"}) and forwards
// slash command, interactive and events_api events to got.
type client struct {
	api *slack.Client
	smc *socketmode.Client
	got chan socketmode.Event
}

func startClient(t testing.TB, srv *slacktest.Server, opts ...socketmode.Option) *client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	api := newAPI(srv, slacktest.BotToken)
	c := &client{api: api, smc: socketmode.New(api, opts...), got: make(chan socketmode.Event, 4096)}
	runDone := make(chan error, 1)
	go func() { runDone <- c.smc.RunContext(ctx) }()
	drainDone := make(chan struct{})
	go func() {
		defer close(drainDone)
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-c.smc.Events:
				switch evt.Type {
				case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
				default:
					continue
				}
				var payload any
				if evt.Type == socketmode.EventTypeSlashCommand {
					payload = map[string]string{"text": "ack:" + evt.Request.EnvelopeID}
				}
				if err := c.smc.AckCtx(ctx, evt.Request.EnvelopeID, payload); err != nil {
					return
				}
				select {
				case c.got <- evt:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-runDone:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("RunContext returned %v, want context.Canceled", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("RunContext did not return after cancel")
		}
		<-drainDone
	})
	return c
}

func (c *client) next(t testing.TB) socketmode.Event {
	t.Helper()
	select {
	case evt := <-c.got:
		return evt
	case <-time.After(5 * time.Second):
		t.Fatal("no event from the socketmode client")
		return socketmode.Event{}
	}
}

func TestSlashCommandRoundTrip(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	c := startClient(t, srv)

	envID, respURL, triggerID, err := srv.SendSlashCommand(slacktest.SlashCommand{Text: "hello world", UserID: "U1", ChannelID: "C1"})
	if err != nil {
		t.Fatal(err)
	}
	evt := c.next(t)
	if evt.Type != socketmode.EventTypeSlashCommand {
		t.Fatalf("event type %q", evt.Type)
	}
	cmd := evt.Data.(slack.SlashCommand)
	want := slack.SlashCommand{
		Token: slacktest.VerificationToken, TeamID: slacktest.TeamID, TeamDomain: slacktest.TeamDomain,
		ChannelID: "C1", ChannelName: "general", UserID: "U1", UserName: "alice",
		Command: "/mpc-add", Text: "hello world", ResponseURL: respURL, TriggerID: triggerID, APIAppID: slacktest.AppID,
	}
	if cmd != want {
		t.Errorf("slash command\n got %+v\nwant %+v", cmd, want)
	}
	if evt.Request.EnvelopeID != envID || !evt.Request.AcceptsResponsePayload {
		t.Errorf("request %+v", evt.Request)
	}
	if respURL != srv.URL()+"/response/1" {
		t.Errorf("response URL %q", respURL)
	}

	ack, err := srv.WaitAck(ctx, envID)
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]string
	if err := json.Unmarshal(ack.Payload, &p); err != nil || p["text"] != "ack:"+envID {
		t.Errorf("ack payload %s (%v)", ack.Payload, err)
	}
	sent, ok := srv.SentAt(envID)
	if !ok || sent.After(ack.At) {
		t.Errorf("SentAt %v %v, ack at %v", sent, ok, ack.At)
	}
	if n := srv.ConnectionsOpened(); n != 1 {
		t.Errorf("ConnectionsOpened = %d", n)
	}
}

func TestEnvelopeQueuedBeforeConnect(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	envID, _, _, err := srv.SendSlashCommand(slacktest.SlashCommand{Command: "/other", Text: "early", UserID: "U2", ChannelID: "C2"})
	if err != nil {
		t.Fatal(err)
	}
	c := startClient(t, srv)
	evt := c.next(t)
	if cmd := evt.Data.(slack.SlashCommand); cmd.Text != "early" || cmd.Command != "/other" || cmd.UserName != "bob" {
		t.Errorf("got %+v", cmd)
	}
	if _, err := srv.WaitAck(ctx, envID); err != nil {
		t.Fatal(err)
	}
}

// reconnectTest checks that after breaking the socket the client reconnects
// and later envelopes still arrive.
func reconnectTest(t *testing.T, breakIt func(*slacktest.Server)) {
	srv := newServer(t)
	ctx := testCtx(t)
	c := startClient(t, srv)

	id1, _, _, _ := srv.SendSlashCommand(slacktest.SlashCommand{Text: "one", UserID: "U1", ChannelID: "C1"})
	c.next(t)
	if _, err := srv.WaitAck(ctx, id1); err != nil {
		t.Fatal(err)
	}
	breakIt(srv)
	// sent while the client reconnects: delivered on the next socket
	id2, _, _, _ := srv.SendSlashCommand(slacktest.SlashCommand{Text: "two", UserID: "U1", ChannelID: "C1"})
	if err := srv.Wait(ctx, func() bool { return srv.ConnectionsOpened() == 2 && srv.OpenConnections() == 1 }); err != nil {
		t.Fatalf("no reconnect: opened=%d open=%d", srv.ConnectionsOpened(), srv.OpenConnections())
	}
	id3, _, _, _ := srv.SendSlashCommand(slacktest.SlashCommand{Text: "three", UserID: "U1", ChannelID: "C1"})
	for _, want := range []string{"two", "three"} {
		if cmd := c.next(t).Data.(slack.SlashCommand); cmd.Text != want {
			t.Errorf("got %+v, want text %q", cmd, want)
		}
	}
	for _, id := range []string{id2, id3} {
		if _, err := srv.WaitAck(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.CallCount("apps.connections.open"); n != 2 {
		t.Errorf("apps.connections.open called %d times", n)
	}
}

func TestDisconnectReconnects(t *testing.T) {
	reconnectTest(t, func(s *slacktest.Server) { s.Disconnect("refresh_requested") })
}

func TestDropConnectionsReconnects(t *testing.T) {
	reconnectTest(t, func(s *slacktest.Server) { s.DropConnections() })
}

func TestPingsKeepConnectionAlive(t *testing.T) {
	for _, tc := range []struct {
		name       string
		ping       time.Duration
		reconnects bool
	}{
		{"pings", 50 * time.Millisecond, false},
		{"no pings", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Margins wide enough for a loaded machine: pings every 50ms
			// never leave the client a second's silence, and without them
			// the client gives up after a second and reconnects well
			// inside three.
			srv := slacktest.NewServer(slacktest.WithPingInterval(tc.ping))
			t.Cleanup(srv.Close)
			startClient(t, srv, socketmode.OptionPingInterval(time.Second))
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			err := srv.Wait(ctx, func() bool { return srv.ConnectionsOpened() >= 2 })
			if got := err == nil; got != tc.reconnects {
				t.Errorf("reconnected = %v (opened %d), want %v", got, srv.ConnectionsOpened(), tc.reconnects)
			}
		})
	}
}

func TestEnvelopesSplitAcrossSockets(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	a, b := startClient(t, srv), startClient(t, srv)
	if err := srv.Wait(ctx, func() bool { return srv.OpenConnections() == 2 }); err != nil {
		t.Fatal(err)
	}
	const n = 20
	for i := range n {
		if _, _, _, err := srv.SendSlashCommand(slacktest.SlashCommand{Text: fmt.Sprint(i), UserID: "U1", ChannelID: "C1"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.Wait(ctx, func() bool { return srv.AckCount() >= n }); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, ack := range srv.Acks() {
		if seen[ack.EnvelopeID] {
			t.Errorf("envelope %s acked twice", ack.EnvelopeID)
		}
		seen[ack.EnvelopeID] = true
	}
	na, nb := 0, 0
	for na+nb < n {
		select {
		case <-a.got:
			na++
		case <-b.got:
			nb++
		case <-ctx.Done():
			t.Fatalf("only %d+%d events", na, nb)
		}
	}
	if na == 0 || nb == 0 {
		t.Errorf("split %d/%d, want both > 0", na, nb)
	}
}

func TestRedeliverSameEnvelopeID(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	c := startClient(t, srv)
	e := slacktest.Envelope{EnvelopeID: "env-fixed", Type: "slash_commands", Payload: map[string]string{"command": "/mpc-add", "text": "x"}}
	if err := srv.Send(e); err != nil {
		t.Fatal(err)
	}
	e.RetryAttempt, e.RetryReason = 1, "timeout"
	if err := srv.Send(e); err != nil {
		t.Fatal(err)
	}
	first, second := c.next(t), c.next(t)
	if first.Request.EnvelopeID != "env-fixed" || second.Request.EnvelopeID != "env-fixed" ||
		second.Request.RetryAttempt != 1 || second.Request.RetryReason != "timeout" {
		t.Errorf("requests %+v / %+v", first.Request, second.Request)
	}
	if err := srv.Wait(ctx, func() bool { return srv.AckCount() == 2 }); err != nil {
		t.Fatal(err)
	}
}

func TestInteractionAndEvent(t *testing.T) {
	srv := newServer(t)
	c := startClient(t, srv)

	trigger, respURL := srv.NewTriggerID(), srv.NewResponseURL()
	if _, err := srv.SendInteraction(map[string]any{
		"type":         "message_action",
		"callback_id":  "mpc_add_msg",
		"trigger_id":   trigger,
		"response_url": respURL,
		"team":         map[string]any{"id": slacktest.TeamID, "domain": slacktest.TeamDomain},
		"channel":      map[string]any{"id": "C1", "name": "general"},
		"user":         map[string]any{"id": "U1", "name": "alice"},
		"message":      map[string]any{"type": "message", "user": "U2", "ts": "1764000000.000100", "thread_ts": "1763000000.000100", "text": "hi"},
	}); err != nil {
		t.Fatal(err)
	}
	evt := c.next(t)
	cb, ok := evt.Data.(slack.InteractionCallback)
	if evt.Type != socketmode.EventTypeInteractive || !ok {
		t.Fatalf("event %q %T", evt.Type, evt.Data)
	}
	if cb.Type != slack.InteractionTypeMessageAction || cb.CallbackID != "mpc_add_msg" || cb.TriggerID != trigger ||
		cb.ResponseURL != respURL || cb.Channel.ID != "C1" || cb.User.ID != "U1" ||
		cb.Message.Timestamp != "1764000000.000100" || cb.Message.ThreadTimestamp != "1763000000.000100" {
		t.Errorf("callback %+v", cb)
	}

	if _, err := srv.SendEvent(map[string]any{
		"type": "app_mention", "user": "U1", "text": "<@UBOTFAKE> add", "ts": "1764000000.000200",
		"channel": "C1", "event_ts": "1764000000.000200", "thread_ts": "1764000000.000100",
	}); err != nil {
		t.Fatal(err)
	}
	evt = c.next(t)
	ev, ok := evt.Data.(slackevents.EventsAPIEvent)
	if evt.Type != socketmode.EventTypeEventsAPI || !ok {
		t.Fatalf("event %q %T", evt.Type, evt.Data)
	}
	m, ok := ev.InnerEvent.Data.(*slackevents.AppMentionEvent)
	if !ok || m.Channel != "C1" || m.User != "U1" || m.ThreadTimeStamp != "1764000000.000100" || ev.TeamID != slacktest.TeamID {
		t.Errorf("event %+v inner %+v", ev, ev.InnerEvent.Data)
	}
}

func slackErr(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	if err == nil {
		return ""
	}
	return "other: " + err.Error()
}

func TestAuth(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	_, _, err := newAPI(srv, "xoxb-wrong").PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false))
	if slackErr(err) != "invalid_auth" {
		t.Errorf("wrong token: %v", err)
	}
	_, _, err = newAPI(srv, "").PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false))
	if slackErr(err) != "not_authed" {
		t.Errorf("no token: %v", err)
	}
	_, err = newAPI(srv, "xoxb-wrong").OpenViewContext(ctx, srv.NewTriggerID(), slack.ModalViewRequest{Type: slack.VTModal})
	if slackErr(err) != "invalid_auth" {
		t.Errorf("views.open wrong token: %v", err)
	}
	// apps.connections.open wants the app token, not the bot token.
	_, _, err = slack.New(slacktest.BotToken, slack.OptionAppLevelToken(slacktest.BotToken),
		slack.OptionAPIURL(srv.APIURL())).StartSocketModeContext(ctx)
	if slackErr(err) != "invalid_auth" {
		t.Errorf("apps.connections.open with bot token: %v", err)
	}
	res, err := newAPI(srv, slacktest.BotToken).AuthTestContext(ctx)
	if err != nil || res.UserID != slacktest.BotUserID || res.TeamID != slacktest.TeamID {
		t.Errorf("auth.test: %+v %v", res, err)
	}
	if len(srv.Messages()) != 0 {
		t.Errorf("messages recorded: %+v", srv.Messages())
	}
	for _, c := range srv.Calls() {
		if _, ok := c.Params["token"]; ok {
			t.Errorf("token recorded in %+v", c)
		}
	}
}

func TestChatRules(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	api := newAPI(srv, slacktest.BotToken)
	post := func(ch string, opts ...slack.MsgOption) (string, string, error) {
		return api.PostMessageContext(ctx, ch, append([]slack.MsgOption{slack.MsgOptionText("hi", false)}, opts...)...)
	}

	for ch, want := range map[string]string{"G1": "not_in_channel", "D1": "channel_not_found", "CNOPE": "channel_not_found"} {
		if _, _, err := post(ch); slackErr(err) != want {
			t.Errorf("post to %s: %v, want %s", ch, err, want)
		}
	}
	ch, ts1, err := post("C2") // public, bot not a member: chat:write.public
	if err != nil || ch != "C2" || ts1 != "1764072000.000100" {
		t.Fatalf("post to C2: %q %q %v", ch, ts1, err)
	}
	_, ts2, err := post("C2", slack.MsgOptionTS(ts1), slack.MsgOptionBroadcast())
	if err != nil || ts2 <= ts1 {
		t.Fatalf("reply: %q %v", ts2, err)
	}
	_, ts3, err := post("G2", slack.MsgOptionTS("1700000000.000001"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C1"); slackErr(err) != "no_text" {
		t.Errorf("empty message: %v", err)
	}
	blocks := slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*hi*", false, false), nil, nil))
	_, _, msg, err := api.PostMessageWithResponseContext(ctx, "C1", blocks)
	if err != nil || len(msg.Blocks.BlockSet) != 1 || msg.User != slacktest.BotUserID {
		t.Errorf("blocks post: %+v %v", msg, err)
	}

	msgs := srv.Messages()
	if len(msgs) != 4 {
		t.Fatalf("messages %+v", msgs)
	}
	if m := msgs[1]; m.ThreadTS != ts1 || !m.ReplyBroadcast || m.UnknownThread || m.TS != ts2 {
		t.Errorf("reply recorded as %+v", m)
	}
	if m := msgs[2]; m.TS != ts3 || !m.UnknownThread || m.Channel != "G2" {
		t.Errorf("orphan reply recorded as %+v", m)
	}
	if len(msgs[3].Blocks) == 0 {
		t.Errorf("blocks not recorded: %+v", msgs[3])
	}

	// chat.postEphemeral
	if _, err := api.PostEphemeralContext(ctx, "C1", "UNOPE", slack.MsgOptionText("x", false)); slackErr(err) != "user_not_found" {
		t.Errorf("ephemeral to unknown user: %v", err)
	}
	if _, err := api.PostEphemeralContext(ctx, "G1", "U1", slack.MsgOptionText("x", false)); slackErr(err) != "not_in_channel" {
		t.Errorf("ephemeral to G1: %v", err)
	}
	ets, err := api.PostEphemeralContext(ctx, "C1", "U1", slack.MsgOptionText("psst", false), slack.MsgOptionTS(ts1))
	if err != nil || ets <= ts3 {
		t.Fatalf("ephemeral: %q %v", ets, err)
	}
	if e := srv.Ephemerals(); len(e) != 1 || e[0].Channel != "C1" || e[0].User != "U1" || e[0].TS != ets ||
		e[0].ThreadTS != ts1 || e[0].Text != "psst" || !e[0].UnknownThread {
		t.Errorf("ephemerals %+v", e)
	}

	// chat.update
	if _, _, _, err := api.UpdateMessageContext(ctx, "C2", ts1, slack.MsgOptionText("edited", false)); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C2", "1.2", slack.MsgOptionText("edited", false)); slackErr(err) != "message_not_found" {
		t.Errorf("update unknown ts: %v", err)
	}
	srv.AddMessage("C1", "1764000000.000100", "")
	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", "1764000000.000100", slack.MsgOptionText("x", false)); slackErr(err) != "cant_update_message" {
		t.Errorf("update user message: %v", err)
	}
	if u := srv.Updates(); len(u) != 1 || u[0].TS != ts1 || u[0].Text != "edited" || u[0].Channel != "C2" {
		t.Errorf("updates %+v", u)
	}

	// DM by user ID
	ch, _, err = post("U2")
	if err != nil || ch != "D2" {
		t.Errorf("DM: %q %v", ch, err)
	}
}

func TestFaultInjection(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	api := newAPI(srv, slacktest.BotToken)

	srv.RateLimitNext("chat.postMessage", 1, 1500*time.Millisecond)
	_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
		t.Errorf("rate limited: %v", err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false)); err != nil {
		t.Errorf("after rate limit: %v", err)
	}

	srv.FailNext("users.info", "fatal_error", 2)
	for range 2 {
		if _, err := api.GetUserInfoContext(ctx, "U1"); slackErr(err) != "fatal_error" {
			t.Errorf("FailNext: %v", err)
		}
	}
	if _, err := api.GetUserInfoContext(ctx, "U1"); err != nil {
		t.Errorf("after FailNext: %v", err)
	}
	if n := srv.CallCount("users.info"); n != 3 {
		t.Errorf("users.info calls %d", n)
	}

	// Unknown methods answer unknown_method, not a 404.
	_, err = api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1"})
	if slackErr(err) != "unknown_method" {
		t.Errorf("unknown method: %v", err)
	}
}

func TestViews(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	api := newAPI(srv, slacktest.BotToken)
	view := slack.ModalViewRequest{
		Type:       slack.VTModal,
		Title:      slack.NewTextBlockObject(slack.PlainTextType, "Add", false, false),
		Submit:     slack.NewTextBlockObject(slack.PlainTextType, "Save", false, false),
		CallbackID: "mpc_add",
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("name", slack.NewTextBlockObject(slack.PlainTextType, "Name", false, false), nil,
				slack.NewPlainTextInputBlockElement(nil, "name_input")),
		}},
	}
	_, _, trigger, err := srv.SendSlashCommand(slacktest.SlashCommand{UserID: "U1", ChannelID: "C1"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := api.OpenViewContext(ctx, trigger, view)
	if err != nil {
		t.Fatal(err)
	}
	if resp.ID == "" || resp.ID[0] != 'V' || resp.CallbackID != "mpc_add" || resp.TeamID != slacktest.TeamID || resp.Hash == "" {
		t.Errorf("view %+v", resp.View)
	}
	if _, err := api.OpenViewContext(ctx, trigger, view); slackErr(err) != "expired_trigger_id" {
		t.Errorf("reused trigger: %v", err)
	}
	if _, err := api.OpenViewContext(ctx, "123.456.nope", view); slackErr(err) != "invalid_trigger_id" {
		t.Errorf("unknown trigger: %v", err)
	}

	ttl := slacktest.NewServer(slacktest.WithTriggerTTL(time.Millisecond))
	defer ttl.Close()
	old := ttl.NewTriggerID()
	time.Sleep(5 * time.Millisecond)
	if _, err := newAPI(ttl, slacktest.BotToken).OpenViewContext(ctx, old, view); slackErr(err) != "expired_trigger_id" {
		t.Errorf("old trigger: %v", err)
	}

	view.Title = slack.NewTextBlockObject(slack.PlainTextType, "Added", false, false)
	if _, err := api.UpdateViewContext(ctx, view, "", "stale-hash", resp.ID); slackErr(err) != "hash_conflict" {
		t.Errorf("stale hash: %v", err)
	}
	upd, err := api.UpdateViewContext(ctx, view, "", resp.Hash, resp.ID)
	if err != nil || upd.ID != resp.ID || upd.Title.Text != "Added" {
		t.Errorf("update: %+v %v", upd, err)
	}
	if _, err := api.UpdateViewContext(ctx, view, "", "", "VNOPE"); slackErr(err) != "not_found" {
		t.Errorf("update unknown view: %v", err)
	}
	pushed, err := api.PushViewContext(ctx, srv.NewTriggerID(), view)
	if err != nil || pushed.ID == resp.ID {
		t.Errorf("push: %+v %v", pushed, err)
	}

	views := srv.Views()
	if len(views) != 3 || views[0].Method != "views.open" || views[0].TriggerID != trigger || views[0].ID != resp.ID ||
		views[1].Method != "views.update" || views[2].Method != "views.push" {
		t.Fatalf("views %+v", views)
	}
	var got slack.ModalViewRequest
	if err := json.Unmarshal(views[0].View, &got); err != nil || got.CallbackID != "mpc_add" || len(got.Blocks.BlockSet) != 1 {
		t.Errorf("recorded view %s: %v", views[0].View, err)
	}
	// JSON calls are recorded with flattened params and without the token.
	for _, c := range srv.Calls() {
		if c.Method == "views.open" && c.Params.Get("trigger_id") == trigger {
			if c.Params.Get("view") == "" || c.Params.Has("token") {
				t.Errorf("call %+v", c)
			}
		}
	}
}

func TestResponseURL(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	api := newAPI(srv, slacktest.BotToken)
	_, url, _, err := srv.SendSlashCommand(slacktest.SlashCommand{UserID: "U1", ChannelID: "C1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral), slack.MsgOptionText("x", false)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(url, slack.ResponseTypeInChannel),
		slack.MsgOptionReplaceOriginal(url), slack.MsgOptionText("y", false)); err != nil {
		t.Fatal(err)
	}
	r := srv.Responses()
	if len(r) != 2 || r[0].URL != url || r[0].ResponseType != "ephemeral" || r[0].Text != "x" || r[0].ReplaceOriginal ||
		r[1].ResponseType != "in_channel" || !r[1].ReplaceOriginal || r[1].Text != "y" {
		t.Errorf("responses %+v", r)
	}
	for range slacktest.MaxResponseURLUses - 2 {
		if _, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral), slack.MsgOptionText("z", false)); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err = api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral), slack.MsgOptionText("too many", false))
	var sce slack.StatusCodeError
	if !errors.As(err, &sce) || sce.Code != http.StatusNotFound {
		t.Errorf("6th use: %v", err)
	}
	if n := len(srv.Responses()); n != slacktest.MaxResponseURLUses {
		t.Errorf("%d responses recorded", n)
	}
}

func TestDirectory(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	api := newAPI(srv, slacktest.BotToken)
	u, err := api.GetUserInfoContext(ctx, "U1")
	if err != nil || u.Profile.Phone != "+49 170 1234567" || u.Name != "alice" || u.RealName != "Alice A" || u.IsBot {
		t.Errorf("users.info: %+v %v", u, err)
	}
	if _, err := api.GetUserInfoContext(ctx, "UNOPE"); slackErr(err) != "user_not_found" {
		t.Errorf("unknown user: %v", err)
	}
	if b, err := api.GetUserInfoContext(ctx, slacktest.BotUserID); err != nil || !b.IsBot {
		t.Errorf("bot user: %+v %v", b, err)
	}

	srv.AddUserGroup("S1", "mpc-team", "U1", "U2")
	members, err := api.GetUserGroupMembersContext(ctx, "S1")
	if err != nil || len(members) != 2 || members[0] != "U1" || members[1] != "U2" {
		t.Errorf("usergroups.users.list: %v %v", members, err)
	}
	if _, err := api.GetUserGroupMembersContext(ctx, "SNOPE"); slackErr(err) != "no_such_subteam" {
		t.Errorf("unknown group: %v", err)
	}

	ch, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "G2"})
	if err != nil || ch.Name != "inner" || !ch.IsPrivate || !ch.IsMember {
		t.Errorf("conversations.info: %+v %v", ch, err)
	}
	if _, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "G1"}); slackErr(err) != "channel_not_found" {
		t.Errorf("hidden channel: %v", err)
	}
}

func TestWaitHonoursContext(t *testing.T) {
	srv := newServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := srv.Wait(ctx, func() bool { return false }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait: %v", err)
	}
	if _, err := srv.WaitAck(ctx, "nope"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitAck: %v", err)
	}
}

func TestCloseWithConnectedClient(t *testing.T) {
	srv := slacktest.NewServer(slacktest.WithPingInterval(50 * time.Millisecond))
	ctx := testCtx(t)
	startClient(t, srv)
	if err := srv.Wait(ctx, func() bool { return srv.OpenConnections() == 1 }); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.SendEvent(map[string]any{"type": "app_mention", "channel": "C1", "user": "U1", "ts": "1.2"}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("Close hung")
	}
	srv.Close() // idempotent
	if _, err := srv.SendEvent(map[string]any{"type": "app_mention"}); !errors.Is(err, slacktest.ErrClosed) {
		t.Errorf("send after close: %v", err)
	}
}

// BenchmarkSlashCommands pushes b.N slash commands through one real
// socketmode client and waits for all acks.
func BenchmarkSlashCommands(b *testing.B) {
	srv := newServer(b)
	c := startClient(b, srv)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() { // the events are not inspected
		for {
			select {
			case <-c.got:
			case <-ctx.Done():
				return
			}
		}
	}()
	if err := srv.Wait(ctx, func() bool { return srv.OpenConnections() == 1 }); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		if _, _, _, err := srv.SendSlashCommand(slacktest.SlashCommand{Text: fmt.Sprint(i), UserID: "U1", ChannelID: "C1"}); err != nil {
			b.Fatal(err)
		}
	}
	if err := srv.Wait(ctx, func() bool { return srv.AckCount() >= b.N }); err != nil {
		b.Fatalf("%d of %d acks: %v", srv.AckCount(), b.N, err)
	}
}

func TestAPILatency(t *testing.T) {
	const d = 50 * time.Millisecond
	srv := slacktest.NewServer(slacktest.WithAPILatency(d))
	t.Cleanup(srv.Close)
	srv.AddChannel(slacktest.Channel{ID: "C1", Name: "general", BotIsMember: true})
	ctx := testCtx(t)
	api := newAPI(srv, slacktest.BotToken)

	// Every method waits, apps.connections.open too: a socket still opens.
	start := time.Now()
	if _, err := api.AuthTestContext(ctx); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < d {
		t.Errorf("auth.test answered after %s, want >= %s", took, d)
	}
	c := startClient(t, srv)
	if _, err := srv.SendEvent(map[string]any{"type": "app_mention", "channel": "C1", "user": "U1", "ts": "1.2"}); err != nil {
		t.Fatal(err)
	}
	c.next(t)

	// While a call waits it is recorded but has no effect; Close ends the wait.
	srv.SetAPILatency(time.Hour)
	errc := make(chan error, 1)
	go func() {
		_, _, err := api.PostMessageContext(context.Background(), "C1", slack.MsgOptionText("slow", false))
		errc <- err
	}()
	if err := srv.Wait(ctx, func() bool { return srv.CallCount("chat.postMessage") == 1 }); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages recorded before the latency passed", n)
	}
	srv.Close()
	select {
	case err := <-errc:
		if err == nil {
			t.Error("delayed call succeeded after Close")
		}
	case <-ctx.Done():
		t.Fatal("Close did not cut the latency short")
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages recorded", n)
	}
}

// TestHoldAPI: a held call is recorded but takes no effect until release;
// calls after release are not held.
func TestHoldAPI(t *testing.T) {
	srv := slacktest.NewServer()
	t.Cleanup(srv.Close)
	srv.AddChannel(slacktest.Channel{ID: "C1", Name: "general", BotIsMember: true})
	ctx := testCtx(t)
	api := newAPI(srv, slacktest.BotToken)

	release := srv.HoldAPI()
	errc := make(chan error, 1)
	go func() {
		_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("held", false))
		errc <- err
	}()
	if err := srv.Wait(ctx, func() bool { return srv.CallCount("chat.postMessage") == 1 }); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages recorded while the call was held", n)
	}
	release()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages after release, want 1", n)
	}
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("after", false)); err != nil {
		t.Errorf("a call after release: %v", err)
	}
	release() // a second release is harmless
}

func homeView(blocks ...slack.Block) slack.HomeTabViewRequest {
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, CallbackID: "home", Blocks: slack.Blocks{BlockSet: blocks}}
}

func section(blockID, text string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil, slack.SectionBlockOptionBlockID(blockID))
}

func TestHomeTab(t *testing.T) {
	srv := newServer(t)
	srv.AddUser(slacktest.User{ID: "U9", Name: "ext", External: true})
	ctx := testCtx(t)
	api := newAPI(srv, slacktest.BotToken)
	c := startClient(t, srv)

	// Before anything is published the event has no view.
	if _, err := srv.OpenHome("U1"); err != nil {
		t.Fatal(err)
	}
	evt := c.next(t)
	opened, ok := evt.Data.(slackevents.EventsAPIEvent).InnerEvent.Data.(*slackevents.AppHomeOpenedEvent)
	if !ok || opened.User != "U1" || opened.Tab != "home" || opened.Channel != slacktest.DMChannelID("U1") || opened.View != nil {
		t.Fatalf("app_home_opened %+v", evt.Data)
	}

	publish := func(user string, v slack.HomeTabViewRequest, hash string) (*slack.ViewResponse, error) {
		req := slack.PublishViewContextRequest{UserID: user, View: v}
		if hash != "" {
			req.Hash = &hash
		}
		return api.PublishViewContext(ctx, req)
	}
	first, err := publish("U1", homeView(section("a", "one")), "")
	if err != nil || first.ID == "" || first.Type != slack.VTHomeTab || first.Hash == "" {
		t.Fatalf("publish: %+v %v", first, err)
	}
	second, err := publish("U1", homeView(section("a", "two"), section("b", "three")), first.Hash)
	if err != nil || second.ID != first.ID || second.Hash == first.Hash {
		t.Fatalf("publish with current hash: %+v %v", second, err)
	}
	if _, err := publish("U1", homeView(section("a", "stale")), first.Hash); slackErr(err) != "hash_conflict" {
		t.Errorf("stale hash: %v", err)
	}
	if _, err := publish("U2", homeView(), "1.nope"); slackErr(err) != "hash_conflict" {
		t.Errorf("hash before any publish: %v", err)
	}

	// Validation.
	many := make([]slack.Block, 101)
	for i := range many {
		many[i] = section(fmt.Sprint("b", i), "x")
	}
	modal := homeView(section("a", "x"))
	modal.Type = slack.VTModal
	for name, v := range map[string]slack.HomeTabViewRequest{
		"101 blocks":         homeView(many...),
		"duplicate block_id": homeView(section("a", "x"), section("a", "y")),
		"modal type":         modal,
	} {
		_, err := publish("U2", v, "")
		var se slack.SlackErrorResponse
		if !errors.As(err, &se) || se.Err != "invalid_arguments" || len(se.ResponseMetadata.Messages) == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, user := range []string{"U9", "UNOPE"} {
		if _, err := publish(user, homeView(), ""); slackErr(err) != "user_not_found" {
			t.Errorf("publish for %s: %v", user, err)
		}
	}

	// Records: full history and latest per user.
	if h := srv.HomeViews(); len(h) != 2 || h[0].Hash != first.Hash || h[1].Hash != second.Hash || h[1].User != "U1" {
		t.Errorf("HomeViews %+v", h)
	}
	latest, ok := srv.HomeView("U1")
	var got slack.HomeTabViewRequest
	if !ok || latest.ID != first.ID || latest.Hash != second.Hash || json.Unmarshal(latest.View, &got) != nil || len(got.Blocks.BlockSet) != 2 {
		t.Errorf("HomeView(U1) = %+v %v", latest, ok)
	}
	if _, ok := srv.HomeView("U2"); ok {
		t.Error("HomeView(U2) exists")
	}

	// Opening the tab again carries the published view.
	if _, err := srv.OpenHome("U1"); err != nil {
		t.Fatal(err)
	}
	opened = c.next(t).Data.(slackevents.EventsAPIEvent).InnerEvent.Data.(*slackevents.AppHomeOpenedEvent)
	if opened.View == nil || opened.View.ID != first.ID || opened.View.Hash != second.Hash || opened.View.Type != slack.VTHomeTab ||
		len(opened.View.Blocks.BlockSet) != 2 {
		t.Errorf("app_home_opened view %+v", opened.View)
	}

	// A button on the Home tab: block_actions with view.type "home".
	envID, err := srv.SendInteraction(map[string]any{
		"type":       "block_actions",
		"trigger_id": srv.NewTriggerID(),
		"team":       map[string]any{"id": slacktest.TeamID, "domain": slacktest.TeamDomain},
		"user":       map[string]any{"id": "U1", "name": "alice", "team_id": slacktest.TeamID},
		"api_app_id": slacktest.AppID,
		"view": map[string]any{
			"id": latest.ID, "type": "home", "hash": latest.Hash, "callback_id": "home",
			"team_id": slacktest.TeamID, "app_id": slacktest.AppID, "bot_id": slacktest.BotID,
			"blocks": json.RawMessage(`[]`), "state": map[string]any{"values": map[string]any{}},
		},
		"actions": []map[string]any{{
			"type": "button", "action_id": "refresh", "block_id": "b", "value": "v1", "action_ts": "1764072000.1",
			"text": map[string]any{"type": "plain_text", "text": "Refresh"},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	evt = c.next(t)
	cb, ok := evt.Data.(slack.InteractionCallback)
	if !ok || evt.Request.EnvelopeID != envID || evt.Request.AcceptsResponsePayload || cb.Type != slack.InteractionTypeBlockActions ||
		cb.View.Type != slack.VTHomeTab || cb.View.ID != latest.ID || len(cb.ActionCallback.BlockActions) != 1 ||
		cb.ActionCallback.BlockActions[0].ActionID != "refresh" || cb.ActionCallback.BlockActions[0].Value != "v1" {
		t.Errorf("block_actions %+v / %+v", evt.Request, cb)
	}
}

func TestViewValidation(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	api := newAPI(srv, slacktest.BotToken)
	view := slack.ModalViewRequest{Type: slack.VTModal, Title: slack.NewTextBlockObject(slack.PlainTextType, "T", false, false)}
	for range 101 {
		view.Blocks.BlockSet = append(view.Blocks.BlockSet, slack.NewDividerBlock())
	}
	trigger := srv.NewTriggerID()
	if _, err := api.OpenViewContext(ctx, trigger, view); slackErr(err) != "invalid_arguments" {
		t.Errorf("101 blocks: %v", err)
	}
	view.Blocks.BlockSet = view.Blocks.BlockSet[:100]
	view.Type = slack.VTHomeTab
	if _, err := api.OpenViewContext(ctx, trigger, view); slackErr(err) != "invalid_arguments" {
		t.Errorf("home view in views.open: %v", err)
	}
	view.Type = slack.VTModal
	if _, err := api.OpenViewContext(ctx, trigger, view); err != nil { // the trigger was not spent
		t.Errorf("100 blocks: %v", err)
	}
}

func TestDirectMessages(t *testing.T) {
	srv := newServer(t)
	srv.AddUser(slacktest.User{ID: "W0GRID", Name: "gina"})
	ctx := testCtx(t)
	api := newAPI(srv, slacktest.BotToken)
	c := startClient(t, srv)

	sent, err := srv.SendDirectMessage(slacktest.DirectMessage{User: "U2", Text: "hello bot"})
	if err != nil {
		t.Fatal(err)
	}
	dm := slacktest.DMChannelID("U2")
	evt := c.next(t)
	outer := evt.Data.(slackevents.EventsAPIEvent)
	msg, ok := outer.InnerEvent.Data.(*slackevents.MessageEvent)
	if !ok || dm != "D2" || msg.Channel != dm || msg.ChannelType != "im" || msg.User != "U2" || msg.Text != "hello bot" ||
		msg.TimeStamp != sent.TS || msg.ThreadTimeStamp != "" || evt.Request.EnvelopeID != sent.EnvelopeID {
		t.Fatalf("message event %+v", outer.InnerEvent.Data)
	}
	var payload struct {
		EventID string `json:"event_id"`
	}
	if err := json.Unmarshal(evt.Request.Payload, &payload); err != nil || payload.EventID == "" || payload.EventID != sent.EventID {
		t.Errorf("event_id %q, sent %+v (%v)", payload.EventID, sent, err)
	}

	// A re-delivery carries the same event_id.
	if err := srv.Redeliver(sent.EnvelopeID, 1); err != nil {
		t.Fatal(err)
	}
	evt = c.next(t)
	if err := json.Unmarshal(evt.Request.Payload, &payload); err != nil || payload.EventID != sent.EventID || evt.Request.RetryAttempt != 1 {
		t.Errorf("re-delivery %+v event_id %q", evt.Request, payload.EventID)
	}

	// The bot answers in the DM, in the thread and ephemerally.
	ch, ts, err := api.PostMessageContext(ctx, dm, slack.MsgOptionText("hi", false), slack.MsgOptionTS(sent.TS))
	if err != nil || ch != dm {
		t.Fatalf("post to DM: %q %v", ch, err)
	}
	if _, err := api.PostEphemeralContext(ctx, dm, "U2", slack.MsgOptionText("psst", false), slack.MsgOptionTS(sent.TS)); err != nil {
		t.Fatal(err)
	}
	if m := srv.Messages(); len(m) != 1 || m[0].Channel != dm || m[0].ThreadTS != sent.TS || m[0].UnknownThread || m[0].TS != ts {
		t.Errorf("messages %+v", m)
	}
	if e := srv.Ephemerals(); len(e) != 1 || e[0].Channel != dm || e[0].User != "U2" || e[0].ThreadTS != sent.TS || e[0].UnknownThread {
		t.Errorf("ephemerals %+v", e)
	}
	info, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: dm})
	if err != nil || !info.IsIM || info.User != "U2" {
		t.Errorf("conversations.info for DM: %+v %v", info, err)
	}

	// A reply in the DM thread, from an Enterprise Grid user.
	reply, err := srv.SendDirectMessage(slacktest.DirectMessage{User: "W0GRID", Text: "me too", ThreadTS: "1764000000.000100"},
		slacktest.EventOptions{EnterpriseID: "E0GRID"})
	if err != nil {
		t.Fatal(err)
	}
	outer = c.next(t).Data.(slackevents.EventsAPIEvent)
	msg = outer.InnerEvent.Data.(*slackevents.MessageEvent)
	if msg.Channel != "DW0GRID" || msg.User != "W0GRID" || msg.ThreadTimeStamp != "1764000000.000100" || msg.TimeStamp != reply.TS ||
		outer.EnterpriseID != "E0GRID" || reply.EventID == sent.EventID {
		t.Errorf("grid DM %+v %+v", outer, msg)
	}
	if _, _, err := api.PostMessageContext(ctx, "DW0GRID", slack.MsgOptionText("ok", false)); err != nil {
		t.Errorf("post to grid DM: %v", err)
	}
	if _, _, err := api.PostMessageContext(ctx, "D404", slack.MsgOptionText("x", false)); slackErr(err) != "channel_not_found" {
		t.Errorf("DM of an unknown user: %v", err)
	}
}

func TestFunctionExecuted(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	c := startClient(t, srv)

	ex, err := srv.SendFunctionExecuted(slacktest.FunctionCall{
		CallbackID: "mpc_dial",
		Inputs:     map[string]any{"caller": "U1", "numbers": []string{"+14155550100"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	evt := c.next(t)
	f, ok := evt.Data.(slackevents.EventsAPIEvent).InnerEvent.Data.(*slackevents.FunctionExecutedEvent)
	if !ok || f.Function.CallbackID != "mpc_dial" || f.FunctionExecutionID != ex.FunctionExecutionID ||
		f.WorkflowExecutionID != ex.WorkflowExecutionID || f.BotAccessToken != ex.BotAccessToken ||
		!strings.HasPrefix(ex.BotAccessToken, "xwfp-") || f.Inputs["caller"] != "U1" || evt.Request.EnvelopeID != ex.EnvelopeID {
		t.Fatalf("function_executed %+v, sent %+v", evt.Data, ex)
	}
	other, err := srv.SendFunctionExecuted(slacktest.FunctionCall{CallbackID: "mpc_dial"})
	if err != nil {
		t.Fatal(err)
	}
	c.next(t)

	// Only the execution's own token may complete it.
	outputs := slack.FunctionCompleteSuccessRequestOptionOutput(map[string]string{"call": "ok"})
	for _, token := range []string{slacktest.BotToken, other.BotAccessToken, "xwfp-nope"} {
		if err := newAPI(srv, token).FunctionCompleteSuccessContext(ctx, ex.FunctionExecutionID, outputs); slackErr(err) != "invalid_auth" {
			t.Errorf("complete with %s: %v", token, err)
		}
	}
	wf := newAPI(srv, ex.BotAccessToken)
	// While it runs, the workflow token works like the bot token.
	if _, _, err := wf.PostMessageContext(ctx, "C1", slack.MsgOptionText("dialing", false)); err != nil {
		t.Errorf("post with the workflow token: %v", err)
	}
	if err := wf.FunctionCompleteSuccessContext(ctx, ex.FunctionExecutionID, outputs); err != nil {
		t.Fatal(err)
	}
	if err := wf.FunctionCompleteSuccessContext(ctx, ex.FunctionExecutionID, outputs); slackErr(err) != "execution_not_in_running_state" {
		t.Errorf("second completion: %v", err)
	}
	if err := wf.FunctionCompleteErrorContext(ctx, ex.FunctionExecutionID, "late"); slackErr(err) != "execution_not_in_running_state" {
		t.Errorf("error after success: %v", err)
	}
	if _, _, err := wf.PostMessageContext(ctx, "C1", slack.MsgOptionText("done", false)); slackErr(err) != "invalid_auth" {
		t.Errorf("workflow token after completion: %v", err)
	}

	ow := newAPI(srv, other.BotAccessToken)
	if err := ow.FunctionCompleteErrorContext(ctx, other.FunctionExecutionID, ""); slackErr(err) != "invalid_arguments" {
		t.Errorf("empty error message: %v", err)
	}
	if err := ow.FunctionCompleteErrorContext(ctx, other.FunctionExecutionID, "no number"); err != nil {
		t.Fatal(err)
	}

	third, err := srv.SendFunctionExecuted(slacktest.FunctionCall{CallbackID: "mpc_dial"})
	if err != nil {
		t.Fatal(err)
	}
	c.next(t)
	if err := newAPI(srv, third.BotAccessToken).FunctionCompleteSuccessContext(ctx, third.FunctionExecutionID); err != nil {
		t.Errorf("success without outputs (outputs:null): %v", err)
	}

	got := srv.FunctionCompletions()
	if len(got) != 3 ||
		got[0].FunctionExecutionID != ex.FunctionExecutionID || got[0].Method != "functions.completeSuccess" || got[0].Outputs["call"] != "ok" ||
		got[1].FunctionExecutionID != other.FunctionExecutionID || got[1].Method != "functions.completeError" || got[1].Error != "no number" ||
		got[2].FunctionExecutionID != third.FunctionExecutionID || len(got[2].Outputs) != 0 {
		t.Errorf("completions %+v", got)
	}
}

func TestScopesHeader(t *testing.T) {
	ctx := testCtx(t)
	for _, tc := range []struct {
		opts []slacktest.Option
		want string
	}{
		{nil, slacktest.DefaultScopes},
		{[]slacktest.Option{slacktest.WithScopes("commands", "chat:write")}, "commands,chat:write"},
	} {
		srv := slacktest.NewServer(tc.opts...)
		res, err := newAPI(srv, slacktest.BotToken).AuthTestContext(ctx)
		if err != nil || res.Header.Get("X-OAuth-Scopes") != tc.want {
			t.Errorf("X-OAuth-Scopes %q (%v), want %q", res.Header.Get("X-OAuth-Scopes"), err, tc.want)
		}
		srv.Close()
	}
	if !strings.Contains(slacktest.DefaultScopes, "im:history") || !strings.HasPrefix(slacktest.DefaultScopes, "commands,") {
		t.Errorf("DefaultScopes %q", slacktest.DefaultScopes)
	}
}

// TestConnectionCheck opens connections the way a start-up check does,
// closing them at once, and then runs a real client.
func TestConnectionCheck(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	api := newAPI(srv, slacktest.BotToken)
	// A URL that is never dialed.
	if _, _, err := api.StartSocketModeContext(ctx); err != nil {
		t.Fatal(err)
	}
	// Dialed and closed at once, before reading anything, with and
	// without a close frame.
	for _, graceful := range []bool{false, true} {
		_, url, err := api.StartSocketModeContext(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ws, _, err := websocket.DefaultDialer.DialContext(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if graceful {
			_ = ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
		}
		_ = ws.Close()
		// The URL was single use.
		if _, resp, err := websocket.DefaultDialer.DialContext(ctx, url, nil); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("second dial of %s: %v", url, err)
		}
	}
	if err := srv.Wait(ctx, func() bool { return srv.OpenConnections() == 0 }); err != nil {
		t.Fatalf("open connections %d", srv.OpenConnections())
	}
	if n := srv.ConnectionsOpened(); n != 2 {
		t.Errorf("ConnectionsOpened = %d", n)
	}
	envID, _, _, err := srv.SendSlashCommand(slacktest.SlashCommand{Text: "after check", UserID: "U1", ChannelID: "C1"})
	if err != nil {
		t.Fatal(err)
	}
	c := startClient(t, srv)
	if cmd := c.next(t).Data.(slack.SlashCommand); cmd.Text != "after check" {
		t.Errorf("got %+v", cmd)
	}
	if _, err := srv.WaitAck(ctx, envID); err != nil {
		t.Fatal(err)
	}
}

// readFrames reads text frames from ws until it fails and returns them
// with the read error.
func readFrames(t *testing.T, ws *websocket.Conn) ([]map[string]any, error) {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second)) // a hang guard only
	var frames []map[string]any
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return frames, err
		}
		var f map[string]any
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatalf("frame %s: %v", data, err)
		}
		frames = append(frames, f)
	}
}

func TestDisableSocketMode(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	api := newAPI(srv, slacktest.BotToken)

	// A raw socket sees hello, the disconnect and a close frame.
	_, url, err := api.StartSocketModeContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ws, _, err := websocket.DefaultDialer.DialContext(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_, unused, err := api.StartSocketModeContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := startClient(t, srv)
	if err := srv.Wait(ctx, func() bool { return srv.OpenConnections() == 2 }); err != nil {
		t.Fatal(err)
	}

	srv.DisableSocketMode()
	frames, err := readFrames(t, ws)
	if len(frames) != 2 || frames[0]["type"] != "hello" || frames[1]["type"] != "disconnect" || frames[1]["reason"] != "link_disabled" ||
		!websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Errorf("frames %v, then %v", frames, err)
	}
	// slack-go reconnects and is refused; nothing is open any more.
	opens := srv.CallCount("apps.connections.open")
	if err := srv.Wait(ctx, func() bool {
		return srv.OpenConnections() == 0 && srv.CallCount("apps.connections.open") > opens
	}); err != nil {
		t.Fatalf("open %d, apps.connections.open %d", srv.OpenConnections(), srv.CallCount("apps.connections.open"))
	}
	if _, _, err := api.StartSocketModeContext(ctx); slackErr(err) != slacktest.SocketModeDisabledError {
		t.Errorf("apps.connections.open while disabled: %v", err)
	}
	if _, resp, err := websocket.DefaultDialer.DialContext(ctx, unused, nil); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("dial while disabled: %v", err)
	}

	// Sent while disabled, delivered once slack-go gets back in.
	envID, _, _, err := srv.SendSlashCommand(slacktest.SlashCommand{Text: "queued", UserID: "U1", ChannelID: "C1"})
	if err != nil {
		t.Fatal(err)
	}
	srv.EnableSocketMode()
	if cmd := c.next(t).Data.(slack.SlashCommand); cmd.Text != "queued" {
		t.Errorf("got %+v", cmd)
	}
	if _, err := srv.WaitAck(ctx, envID); err != nil {
		t.Fatal(err)
	}
}

func TestRevokeTokens(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	api := newAPI(srv, slacktest.BotToken)
	c := startClient(t, srv)
	ex, err := srv.SendFunctionExecuted(slacktest.FunctionCall{CallbackID: "f"})
	if err != nil {
		t.Fatal(err)
	}
	c.next(t)

	srv.RevokeTokens()
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false)); slackErr(err) != "token_revoked" {
		t.Errorf("chat.postMessage: %v", err)
	}
	if _, err := api.GetUserInfoContext(ctx, "U1"); slackErr(err) != "token_revoked" {
		t.Errorf("users.info: %v", err)
	}
	if _, err := api.AuthTestContext(ctx); slackErr(err) != "token_revoked" {
		t.Errorf("auth.test: %v", err)
	}
	if err := newAPI(srv, ex.BotAccessToken).FunctionCompleteErrorContext(ctx, ex.FunctionExecutionID, "x"); slackErr(err) != "token_revoked" {
		t.Errorf("functions.completeError: %v", err)
	}
	if _, err := newAPI(srv, "xoxb-other").AuthTestContext(ctx); slackErr(err) != "invalid_auth" {
		t.Errorf("a wrong token: %v", err)
	}
	if _, _, err := api.StartSocketModeContext(ctx); slackErr(err) != "invalid_auth" {
		t.Errorf("apps.connections.open: %v", err)
	}

	sent, err := srv.SendTokensRevoked()
	if err != nil {
		t.Fatal(err)
	}
	evt := c.next(t)
	rev, ok := evt.Data.(slackevents.EventsAPIEvent).InnerEvent.Data.(*slackevents.TokensRevokedEvent)
	if !ok || evt.Request.EnvelopeID != sent.EnvelopeID || len(rev.Tokens.Bot) != 1 || rev.Tokens.Bot[0] != slacktest.BotUserID {
		t.Errorf("tokens_revoked %+v", evt.Data)
	}
}

func TestEnterpriseAndSlackConnect(t *testing.T) {
	srv := newServer(t)
	srv.AddUser(slacktest.User{ID: "W0EXT", Name: "xavier", External: true})
	srv.AddUser(slacktest.User{ID: "W0GRID", Name: "gina"})
	srv.AddUserGroup("S1", "mixed", "U1", "W0EXT")
	ctx := testCtx(t)
	api := newAPI(srv, slacktest.BotToken)
	c := startClient(t, srv)

	if _, err := api.GetUserInfoContext(ctx, "W0EXT"); slackErr(err) != "user_not_found" {
		t.Errorf("users.info for an external user: %v", err)
	}
	if _, err := api.GetUsersInfoContext(ctx, "U1", "W0EXT"); slackErr(err) != "user_not_found" {
		t.Errorf("users.info list with an external user: %v", err)
	}
	if u, err := api.GetUserInfoContext(ctx, "W0GRID"); err != nil || u.Name != "gina" {
		t.Errorf("users.info for a grid user: %+v %v", u, err)
	}
	if m, err := api.GetUserGroupMembersContext(ctx, "S1"); err != nil || len(m) != 2 || m[1] != "W0EXT" {
		t.Errorf("group members %v %v", m, err)
	}
	if _, err := api.PostEphemeralContext(ctx, "C1", "W0EXT", slack.MsgOptionText("hi", false)); err != nil {
		t.Errorf("ephemeral to an external user in a shared channel: %v", err)
	}

	// Slash command from an org-wide install.
	_, _, _, err := srv.SendSlashCommand(slacktest.SlashCommand{
		UserID: "W0GRID", ChannelID: "C1", EnterpriseID: "E0GRID", EnterpriseName: "Grid Org", IsEnterpriseInstall: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	cmd := c.next(t).Data.(slack.SlashCommand)
	if cmd.EnterpriseID != "E0GRID" || cmd.EnterpriseName != "Grid Org" || !cmd.IsEnterpriseInstall || cmd.UserID != "W0GRID" || cmd.UserName != "gina" {
		t.Errorf("slash command %+v", cmd)
	}

	// An event from an external user in a Slack Connect channel.
	_, err = srv.SendEvent(map[string]any{
		"type": "app_mention", "user": "W0EXT", "text": "<@UBOTFAKE> add", "ts": "1764000000.000300",
		"channel": "C1", "event_ts": "1764000000.000300", "user_team": "T0OTHER",
	}, slacktest.EventOptions{EventID: "Ev0CUSTOM", EnterpriseID: "E0GRID", IsEnterpriseInstall: true, IsExtSharedChannel: true})
	if err != nil {
		t.Fatal(err)
	}
	evt := c.next(t)
	ev := evt.Data.(slackevents.EventsAPIEvent)
	var outer struct {
		EventID        string                     `json:"event_id"`
		Authorizations []slack.EventAuthorization `json:"authorizations"`
	}
	if err := json.Unmarshal(evt.Request.Payload, &outer); err != nil {
		t.Fatal(err)
	}
	m, ok := ev.InnerEvent.Data.(*slackevents.AppMentionEvent)
	if !ok || m.User != "W0EXT" || ev.EnterpriseID != "E0GRID" || !ev.IsExtSharedChannel || outer.EventID != "Ev0CUSTOM" ||
		len(outer.Authorizations) != 1 || outer.Authorizations[0].EnterpriseID != "E0GRID" || !outer.Authorizations[0].IsEnterpriseInstall {
		t.Errorf("event %+v, outer %+v", ev, outer)
	}

	// Interactions carry whatever the payload says.
	if _, err := srv.SendInteraction(map[string]any{
		"type": "shortcut", "callback_id": "mpc_add", "trigger_id": srv.NewTriggerID(),
		"user":                  map[string]any{"id": "W0GRID", "team_id": slacktest.TeamID},
		"team":                  map[string]any{"id": slacktest.TeamID, "enterprise_id": "E0GRID"},
		"enterprise":            map[string]any{"id": "E0GRID", "name": "Grid Org"},
		"is_enterprise_install": true,
	}); err != nil {
		t.Fatal(err)
	}
	cb := c.next(t).Data.(slack.InteractionCallback)
	if cb.Enterprise.ID != "E0GRID" || !cb.IsEnterpriseInstall || cb.User.ID != "W0GRID" {
		t.Errorf("interaction %+v", cb)
	}
}

// TestBreakWhileHandshaking covers the window in which the client has its
// 101 answer (slack-go reports "connected") but the fake has not started
// serving the socket: a Disconnect or DropConnections then must still
// reach that socket, or the client never reconnects.
func TestBreakWhileHandshaking(t *testing.T) {
	for name, breakIt := range map[string]func(*slacktest.Server){
		"disconnect": func(s *slacktest.Server) { s.Disconnect("refresh_requested") },
		"drop":       func(s *slacktest.Server) { s.DropConnections() },
	} {
		t.Run(name, func(t *testing.T) {
			entered, release := make(chan struct{}), make(chan struct{})
			var once sync.Once
			hook := func() {
				once.Do(func() { // only the first socket waits
					close(entered)
					<-release
				})
			}
			srv := slacktest.NewServer(slacktest.WithPingInterval(100*time.Millisecond), slacktest.WithUpgradeHook(hook))
			t.Cleanup(srv.Close)
			ctx := testCtx(t)
			c := startClient(t, srv)
			select {
			case <-entered:
			case <-ctx.Done():
				t.Fatal("the client did not connect")
			}
			breakIt(srv)
			close(release)
			if err := srv.Wait(ctx, func() bool { return srv.ConnectionsOpened() == 2 && srv.OpenConnections() == 1 }); err != nil {
				t.Fatalf("no reconnect: opened=%d open=%d", srv.ConnectionsOpened(), srv.OpenConnections())
			}
			envID, _, _, err := srv.SendSlashCommand(slacktest.SlashCommand{Text: "after", UserID: "U1", ChannelID: "C1"})
			if err != nil {
				t.Fatal(err)
			}
			c.next(t)
			if _, err := srv.WaitAck(ctx, envID); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestDisconnectRightAfterConnected does what bot/e2e_test.go's
// TestReconnectsAfterDisconnectAndDrop does: Disconnect as soon as
// slack-go reports EventTypeConnected, several times in a row.
func TestDisconnectRightAfterConnected(t *testing.T) {
	const rounds = 10
	srv := slacktest.NewServer(slacktest.WithPingInterval(100 * time.Millisecond))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(testCtx(t))
	smc := socketmode.New(newAPI(srv, slacktest.BotToken))
	runDone := make(chan error, 1)
	go func() { runDone <- smc.RunContext(ctx) }()
	drainDone := make(chan struct{})
	go func() {
		defer close(drainDone)
		n := 0
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-smc.Events:
				if evt.Type == socketmode.EventTypeConnected && n < rounds {
					n++
					srv.Disconnect("refresh_requested")
				}
			}
		}
	}()
	defer func() {
		cancel()
		<-runDone
		<-drainDone
	}()
	if err := srv.Wait(ctx, func() bool { return srv.ConnectionsOpened() == rounds+1 && srv.OpenConnections() == 1 }); err != nil {
		t.Fatalf("opened=%d open=%d", srv.ConnectionsOpened(), srv.OpenConnections())
	}
}

// TestHoldEnvelopes: envelopes sent during a hold are not written until
// release, which writes them all, in order.
func TestHoldEnvelopes(t *testing.T) {
	srv := newServer(t)
	c := startClient(t, srv)

	release := srv.HoldEnvelopes()
	var envs []string
	for i := range 3 {
		env, _, _, err := srv.SendSlashCommand(slacktest.SlashCommand{Text: fmt.Sprint("held ", i), UserID: "U1", ChannelID: "C1"})
		if err != nil {
			t.Fatal(err)
		}
		envs = append(envs, env)
	}
	for _, env := range envs {
		if _, ok := srv.SentAt(env); ok {
			t.Fatalf("envelope %s written during the hold", env)
		}
	}
	release()
	for i, env := range envs {
		evt := c.next(t)
		if evt.Request.EnvelopeID != env {
			t.Fatalf("envelope %d after release is %s, want %s", i, evt.Request.EnvelopeID, env)
		}
		if _, ok := srv.SentAt(env); !ok {
			t.Errorf("envelope %s delivered but not marked written", env)
		}
	}
	release() // a second release is harmless
}
