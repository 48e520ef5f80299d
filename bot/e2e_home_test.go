package bot_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/mpc-bot/mpc-bot/bot/slacktest"
	"github.com/mpc-bot/mpc-bot/conference"
)

// homeViewsOf returns the Home views published for user, oldest first.
func homeViewsOf(h *harness, user string) []slacktest.HomeView {
	var out []slacktest.HomeView
	for _, v := range h.slack.HomeViews() {
		if v.User == user {
			out = append(out, v)
		}
	}
	return out
}

// nextHome runs act and waits for the Home view it makes the bot publish
// for user.
func nextHome(h *harness, user string, act func()) slacktest.HomeView {
	h.t.Helper()
	before := len(homeViewsOf(h, user))
	act()
	h.waitFor("a Home tab for "+user, func() bool { return len(homeViewsOf(h, user)) > before })
	return homeViewsOf(h, user)[before]
}

// openHome opens user's Home tab and returns the view drawn for it.
func openHome(h *harness, user string) slacktest.HomeView {
	h.t.Helper()
	return nextHome(h, user, func() {
		if _, err := h.slack.OpenHome(user); err != nil {
			h.t.Fatal(err)
		}
	})
}

// decodeView decodes a published view as Slack would show it.
func decodeView(h *harness, raw json.RawMessage) slack.View {
	h.t.Helper()
	var v slack.View
	if err := json.Unmarshal(raw, &v); err != nil {
		h.t.Fatalf("view JSON: %v\n%s", err, raw)
	}
	return v
}

// viewText is every text of a view, in order, as a person reads it.
func viewText(h *harness, raw json.RawMessage) string {
	h.t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		h.t.Fatalf("view JSON: %v\n%s", err, raw)
	}
	var texts []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if s, ok := v["text"].(string); ok {
				texts = append(texts, s)
			}
			for _, k := range []string{"text", "elements", "fields", "accessory", "element", "label", "hint", "title", "blocks", "confirm", "confirm_text"} {
				if k == "text" {
					if _, ok := v[k].(string); ok {
						continue
					}
				}
				if c, ok := v[k]; ok {
					walk(c)
				}
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return strings.Join(texts, "\n")
}

// homeButtons are the action IDs of a Home view's buttons.
func homeButtons(h *harness, raw json.RawMessage) []string {
	var ids []string
	for _, blk := range decodeView(h, raw).Blocks.BlockSet {
		if a, ok := blk.(*slack.ActionBlock); ok {
			for _, el := range a.Elements.ElementSet {
				if btn, ok := el.(*slack.ButtonBlockElement); ok {
					ids = append(ids, btn.ActionID)
				}
			}
		}
	}
	return ids
}

// pressHome presses a button on user's current Home tab (block_actions
// with view.type "home") and waits for the ack.
func pressHome(h *harness, user, actionID string) {
	h.t.Helper()
	cur, ok := h.slack.HomeView(user)
	if !ok {
		h.t.Fatalf("%s has no Home tab to press %s on", user, actionID)
	}
	env, err := h.slack.SendInteraction(map[string]any{
		"type":       "block_actions",
		"trigger_id": h.slack.NewTriggerID(),
		"team":       map[string]any{"id": slacktest.TeamID, "domain": slacktest.TeamDomain},
		"user":       map[string]any{"id": user, "team_id": slacktest.TeamID},
		"api_app_id": slacktest.AppID,
		"view": map[string]any{
			"id": cur.ID, "type": "home", "hash": cur.Hash, "callback_id": decodeView(h, cur.View).CallbackID,
			"team_id": slacktest.TeamID, "app_id": slacktest.AppID, "bot_id": slacktest.BotID,
			"blocks": json.RawMessage(`[]`), "state": map[string]any{"values": map[string]any{}},
		},
		"actions": []map[string]any{{
			"type": "button", "action_id": actionID, "block_id": "home_number_actions", "action_ts": "1764072000.1",
			"text": map[string]any{"type": "plain_text", "text": actionID},
		}},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.slack.WaitAck(h.ctx(), env); err != nil {
		h.t.Fatalf("no ack for %s: %v", actionID, err)
	}
}

// submitRegister submits the register form v with typed in its one input
// and returns the inline errors (nil when the form closed).
func submitRegister(h *harness, user string, v slack.View, typed string) map[string]string {
	h.t.Helper()
	var in *slack.InputBlock
	for _, blk := range v.Blocks.BlockSet {
		if b, ok := blk.(*slack.InputBlock); ok {
			if in != nil {
				h.t.Fatalf("the register form has more than one input")
			}
			in = b
		}
	}
	if in == nil {
		h.t.Fatalf("the register form has no input")
	}
	env, err := h.slack.SendInteraction(map[string]any{
		"type": "view_submission", "team": map[string]any{"id": slacktest.TeamID}, "user": map[string]any{"id": user},
		"trigger_id": h.slack.NewTriggerID(),
		"view": map[string]any{
			"id": "V0REGISTER", "hash": "h-" + typed, "type": "modal", "callback_id": v.CallbackID,
			"state": map[string]any{"values": map[string]any{
				in.BlockID: map[string]any{actionIDOf(h, in.Element): map[string]any{"type": "plain_text_input", "value": typed}},
			}},
		},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	ack, err := h.slack.WaitAck(h.ctx(), env)
	if err != nil {
		h.t.Fatal(err)
	}
	return submissionErrors(h.t.(*testing.T), ack)
}

// sentDate matches a time as the bot sends it, "<!date^…|…>", with the
// angle brackets escaped or not: golden's own pattern for it sees only the
// unescaped form, while encoding/json escapes them.
var sentDate = regexp.MustCompile(`(<|\\u003c)!date\^\d+\^([^|]*)\|.*?(>|\\u003e)`)

// goldenView is golden with the times of entries, which the store takes
// from the real clock, made fixed.
func goldenView(t *testing.T, name string, raw []byte) {
	t.Helper()
	golden(t, name, sentDate.ReplaceAll(raw, []byte("${1}!date^TIME^${2}|TIME${3}")))
}

func TestHomeTabShowsNumberRecentAddsBridgeAndHelp(t *testing.T) {
	h := newHarness(t)
	h.command(callerID, publicChan, "+14155550100 customer")
	h.waitThread(publicChan)
	h.idle()

	home := openHome(h, callerID)
	text := viewText(h, home.View)
	for _, want := range []string{
		"Calls you start come from *+1•••0199* (from the directory file)",
		"<@" + callerID + "> added *+1•••0100* as customer: accepted, api_id",
		"in <#" + publicChan + ">",
		"There is one bridge",
		"How to use it",
		"/mpc-add +14155550100",
		"Messages",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Home tab lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "4155550199") {
		t.Errorf("Home tab shows the caller's number unmasked:\n%s", text)
	}
	if got := homeButtons(h, home.View); len(got) != 1 || got[0] != "mpc_home_register" {
		t.Errorf("buttons %v, want Register alone (the number is from the directory file)", got)
	}
	if n := len(decodeView(h, home.View).Blocks.BlockSet); n > 100 {
		t.Errorf("Home view has %d blocks", n)
	}
	goldenView(t, "home_with_number", home.View)

	// Opened again: drawn again, replacing the view the event carries.
	again := openHome(h, callerID)
	if again.ID != home.ID || again.Hash == home.Hash {
		t.Errorf("second drawing %s/%s, first %s/%s", again.ID, again.Hash, home.ID, home.Hash)
	}
	// The same open re-delivered carries a hash that is no longer current:
	// Slack refuses it (hash_conflict), and the bot leaves the newer
	// drawing in place without trying again.
	sent, err := h.slack.OpenHome(callerID)
	if err != nil {
		t.Fatal(err)
	}
	h.waitFor("the third drawing", func() bool { return len(homeViewsOf(h, callerID)) == 3 })
	if err := h.slack.Redeliver(sent.EnvelopeID, 1); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the re-delivery's publish", func() bool { return h.slack.CallCount("views.publish") == 4 })
	h.idle()
	if n := len(homeViewsOf(h, callerID)); n != 3 {
		t.Errorf("%d Home drawings, want 3 (the re-delivered open is refused as stale)", n)
	}
	if n := h.slack.CallCount("views.publish"); n != 4 {
		t.Errorf("%d views.publish calls, want one per open", n)
	}
	if !strings.Contains(h.logs.String(), "keeping the newer drawing") {
		t.Errorf("the refused drawing was not logged:\n%s", h.logs.String())
	}
}

func TestHomeRegisterAndRemove(t *testing.T) {
	h := newHarness(t)
	home := openHome(h, nobodyID)
	text := viewText(h, home.View)
	if !strings.Contains(text, "I don't know your phone number yet") || !strings.Contains(text, "Register one below") {
		t.Errorf("Home tab of someone without a number:\n%s", text)
	}
	if got := homeButtons(h, home.View); len(got) != 1 || got[0] != "mpc_home_register" {
		t.Errorf("buttons %v, want Register alone", got)
	}
	goldenView(t, "home_without_number", home.View)

	pressHome(h, nobodyID, "mpc_home_register")
	rec, form := openedView(h)
	if rec.Method != "views.open" || form.CallbackID != "mpc_register_modal" {
		t.Fatalf("opened %s %q", rec.Method, form.CallbackID)
	}
	goldenView(t, "home_register_modal", rec.View)

	for _, tt := range []struct{ typed, want string }{
		{"+1 415", "+1 415 is not a number or SIP address I can use: "},
		{"call me", "is not a number or SIP address I can use"},
		{"+1 900 555 0123", "+19005550123 is a premium-rate number, which mpc-bot never dials or uses"},
	} {
		errs := submitRegister(h, nobodyID, form, tt.typed)
		if len(errs) != 1 || !strings.Contains(errs["register_number"], tt.want) {
			t.Errorf("%q: inline errors %v, want %q", tt.typed, errs, tt.want)
		}
	}
	h.idle()
	if n := len(homeViewsOf(h, nobodyID)); n != 1 {
		t.Errorf("refused numbers redrew the Home tab %d times", n-1)
	}

	registered := nextHome(h, nobodyID, func() {
		if errs := submitRegister(h, nobodyID, form, "+44 20 7946 0123"); errs != nil {
			t.Fatalf("a good number was refused: %v", errs)
		}
	})
	text = viewText(h, registered.View)
	if !strings.Contains(text, "Calls you start come from *+44•••0123* (you registered it)") || strings.Contains(text, "2079460123") {
		t.Errorf("Home tab after register:\n%s", text)
	}
	if got := homeButtons(h, registered.View); len(got) != 2 || got[1] != "mpc_home_unregister" {
		t.Errorf("buttons %v, want Register and Remove", got)
	}
	goldenView(t, "home_registered", registered.View)
	if got := privateAnswer(h, nobodyID, "whoami"); !strings.Contains(got, "+44•••0123") {
		t.Errorf("whoami after registering on the Home tab: %q", got)
	}

	removed := nextHome(h, nobodyID, func() { pressHome(h, nobodyID, "mpc_home_unregister") })
	text = viewText(h, removed.View)
	if !strings.Contains(text, "I don't know your phone number yet") || strings.Contains(text, "0123") {
		t.Errorf("Home tab after remove:\n%s", text)
	}
	if got := homeButtons(h, removed.View); len(got) != 1 {
		t.Errorf("buttons %v after remove, want Register alone", got)
	}
	for _, v := range h.slack.HomeViews() {
		if v.User != nobodyID {
			t.Errorf("a Home tab was drawn for %s, who opened none", v.User)
		}
	}
}

func TestHomeTabOfSomeoneFromAnotherOrganisation(t *testing.T) {
	h := newHarness(t)
	const ext = "W0EXT"
	h.slack.AddUser(slacktest.User{ID: ext, Name: "xavier", External: true})

	// The fake, like Slack, shows such a person neither to users.info nor
	// to views.publish: the failure is logged, once, not retried.
	if _, err := h.slack.OpenHome(ext); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the publish", func() bool { return h.slack.CallCount("views.publish") == 1 })
	h.idle()
	if n := h.slack.CallCount("views.publish"); n != 1 || len(h.slack.HomeViews()) != 0 {
		t.Errorf("%d publishes, %d drawn; want one refused", n, len(h.slack.HomeViews()))
	}
	if logs := h.logs.String(); !strings.Contains(logs, "could not publish the Home tab") || !strings.Contains(logs, "user_not_found") {
		t.Errorf("the refused publish was not logged:\n%s", logs)
	}

	// Where the tab can be drawn for them (the fake ties both to one flag,
	// so it is cleared here, while the bot still has "another
	// organisation" from the profile look-up above), it says how to take
	// part.
	h.slack.AddUser(slacktest.User{ID: ext, Name: "xavier"})
	home := openHome(h, ext)
	text := viewText(h, home.View)
	for _, want := range []string{"You are from another organisation", "register your own number with *Register a number* below", "/mpc-add register +14155550100"} {
		if !strings.Contains(text, want) {
			t.Errorf("Home tab lacks %q:\n%s", want, text)
		}
	}
	goldenView(t, "home_external", home.View)
}

func TestHomeTabWithSeveralBridges(t *testing.T) {
	const dbsChan = "C0DBS"
	h := newHarness(t, func(s *setup) {
		s.Bridges = []conference.Bridge{
			{Name: "dbs", PhloID: "phlo-dbs", NodeID: "node-dbs", Description: "Database on-call", Channels: []string{dbsChan}},
			{Name: "net", PhloID: "phlo-net", NodeID: "node-net", Description: "Network on-call"},
		}
	})
	h.slack.AddChannel(slacktest.Channel{ID: dbsChan, Name: "dbs", BotIsMember: true})
	if got := privateAnswer(h, callerID, "bridge net"); !strings.Contains(got, "now uses the bridge net") {
		t.Fatalf("bridge net: %q", got)
	}

	home := openHome(h, callerID)
	text := viewText(h, home.View)
	for _, want := range []string{
		"*default* (the default)",
		"*dbs* — Database on-call\nThe bridges file gives it <#" + dbsChan + ">.",
		"*net* — Network on-call",
		"<#" + publicChan + "> uses *net* (bound there with `/mpc-add bridge`)",
		"<@" + callerID + "> bound this channel to bridge *net*",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Home tab lacks %q:\n%s", want, text)
		}
	}
	goldenView(t, "home_bridges", home.View)
}

func TestHomeTabStaysWithinSlackLimits(t *testing.T) {
	var bridges []conference.Bridge
	for i := range 40 {
		name := fmt.Sprintf("b%02d", i)
		bridges = append(bridges, conference.Bridge{Name: name, PhloID: "phlo-" + name, NodeID: "node-" + name,
			Description: strings.Repeat("a long description ", 20), Channels: []string{fmt.Sprintf("C0B%02d", i)}})
	}
	h := newHarness(t, func(s *setup) { s.Bridges = bridges })
	// More entries than the tab lists, each in a channel of its own.
	for i := range 12 {
		channel := fmt.Sprintf("C0USED%02d", i)
		h.slack.AddChannel(slacktest.Channel{ID: channel, Name: channel, BotIsMember: true})
		ack, url := h.command(callerID, channel, fmt.Sprintf("bridge b%02d", i))
		got := ackText(t, ack)
		if got == "" {
			h.waitFor("the answer", func() bool { return len(responsesTo(h, url)) > 0 })
			got = responsesTo(h, url)[0].Text
		}
		if !strings.Contains(got, "now uses the bridge") {
			t.Fatalf("bridge: %q", got)
		}
	}

	home := openHome(h, callerID)
	v := decodeView(h, home.View)
	if n := len(v.Blocks.BlockSet); n > 100 {
		t.Errorf("%d blocks", n)
	}
	text := viewText(h, home.View)
	if n := strings.Count(text, "bound this channel to bridge"); n != 10 {
		t.Errorf("%d recent entries shown, want 10", n)
	}
	if !strings.Contains(text, "And `b20`, `b21`") || !strings.Contains(text, "`b39`, `default`.") {
		t.Errorf("the bridges beyond the first 20 are not named:\n%s", text)
	}
	if n := strings.Count(text, "uses *b"); n != 10 {
		t.Errorf("%d channel bindings shown, want one per recent channel (10)", n)
	}
	for _, blk := range v.Blocks.BlockSet {
		var texts []*slack.TextBlockObject
		switch blk := blk.(type) {
		case *slack.SectionBlock:
			texts = append(texts, blk.Text)
		case *slack.ContextBlock:
			for _, el := range blk.ContextElements.Elements {
				if t, ok := el.(*slack.TextBlockObject); ok {
					texts = append(texts, t)
				}
			}
		}
		for _, txt := range texts {
			if txt != nil && len([]rune(txt.Text)) > 3000 {
				t.Errorf("a text of %d characters in a %s block", len([]rune(txt.Text)), blk.BlockType())
			}
		}
	}
}
