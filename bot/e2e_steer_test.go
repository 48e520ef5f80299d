package bot_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/mpc-bot/mpc-bot/bot/slacktest"
	"github.com/mpc-bot/mpc-bot/conference"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

// buttonsOf returns a message's buttons by action ID, with their block.
func buttonsOf(t *testing.T, blocks json.RawMessage) map[string]pressable {
	t.Helper()
	var bs slack.Blocks
	if err := json.Unmarshal(blocks, &bs); err != nil {
		t.Fatalf("blocks %s: %v", blocks, err)
	}
	out := map[string]pressable{}
	for _, b := range bs.BlockSet {
		a, ok := b.(*slack.ActionBlock)
		if !ok {
			continue
		}
		for _, el := range a.Elements.ElementSet {
			if btn, ok := el.(*slack.ButtonBlockElement); ok {
				out[btn.ActionID] = pressable{blockID: a.BlockID, button: btn}
			}
		}
	}
	return out
}

type pressable struct {
	blockID string
	button  *slack.ButtonBlockElement
}

// press clicks a button on a channel message as user, the way Slack sends
// it, and waits for the ack.
func press(h *harness, user, channel string, msg slacktest.Message, p pressable) {
	h.t.Helper()
	env, err := h.slack.SendInteraction(map[string]any{
		"type": "block_actions", "team": map[string]any{"id": slacktest.TeamID}, "user": map[string]any{"id": user},
		"channel":      map[string]any{"id": channel},
		"container":    map[string]any{"type": "message", "channel_id": channel, "message_ts": msg.TS},
		"message":      map[string]any{"type": "message", "ts": msg.TS, "thread_ts": msg.ThreadTS, "blocks": json.RawMessage(msg.Blocks)},
		"response_url": h.slack.NewResponseURL(),
		"actions":      []map[string]any{{"type": "button", "action_id": p.button.ActionID, "block_id": p.blockID, "value": p.button.Value, "action_ts": "1764072001.000001"}},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.slack.WaitAck(h.ctx(), env); err != nil {
		h.t.Fatal(err)
	}
}

// phloActions counts the fake PHLO's requests by action.
func phloActions(h *harness) map[string][]phlotest.Request {
	out := map[string][]phlotest.Request{}
	for _, r := range h.phlo.Requests() {
		out[r.Action] = append(out[r.Action], r)
	}
	return out
}

func lastUpdate(h *harness) slacktest.Update {
	u := h.slack.Updates()
	if len(u) == 0 {
		return slacktest.Update{}
	}
	return u[len(u)-1]
}

// TestButtonsOnTheOutcomeSteerTheCall: Hold, Take off hold and Hang up on
// a dialled person's reply send the member action for the address exactly
// as dialled, update the reply in place, and a double click acts once.
func TestButtonsOnTheOutcomeSteerTheCall(t *testing.T) {
	h := newHarness(t)
	h.command(callerID, publicChan, "+14155550100 sip:bob@example.sip.plivo.com")
	h.waitFor("two replies", func() bool { _, r := h.thread(publicChan); return len(r) == 2 })
	_, replies := h.thread(publicChan)
	byAddr := map[string]slacktest.Message{}
	for _, r := range replies {
		if strings.Contains(r.Text, "sip:bob") {
			byAddr["sip"] = r
		} else {
			byAddr["+"] = r
		}
	}
	num := byAddr["+"]
	btns := buttonsOf(t, num.Blocks)
	if btns["mpc_hold"].button == nil || btns["mpc_hangup"].button == nil || btns["mpc_hangup"].button.Confirm == nil || btns["mpc_hangup"].button.Style != slack.StyleDanger {
		t.Fatalf("the dialled reply's buttons %+v", btns)
	}
	press(h, profileUserID, publicChan, num, btns["mpc_hold"])
	press(h, profileUserID, publicChan, num, btns["mpc_hold"]) // a double click
	h.idle()
	holds := phloActions(h)["hold"]
	if len(holds) != 1 || holds[0].MemberAddress != "+14155550100" {
		t.Fatalf("holds %+v", holds)
	}
	up := lastUpdate(h)
	if up.TS != num.TS || !strings.Contains(up.Text, "Plivo is dialling +14155550100") || !strings.Contains(up.Text, "On hold, by <@"+profileUserID+">") {
		t.Errorf("the reply after Hold: %q", up.Text)
	}
	// The updated reply carries the next buttons, which act again.
	num.Blocks = up.Blocks
	next := buttonsOf(t, up.Blocks)
	press(h, profileUserID, publicChan, num, next["mpc_hangup"])
	press(h, profileUserID, publicChan, num, next["mpc_hangup"])
	h.idle()
	if hs := phloActions(h)["hangup"]; len(hs) != 1 || hs[0].MemberAddress != "+14155550100" {
		t.Errorf("a double-clicked Hang up made %d PHLO requests: %+v", len(hs), hs)
	}
	if up := lastUpdate(h); !strings.Contains(up.Text, "Hung up, by") || len(buttonsOf(t, up.Blocks)) != 0 {
		t.Errorf("after Hang up: %q, buttons %v", up.Text, buttonsOf(t, up.Blocks))
	}
	// A SIP member's address reaches the URL unescaped.
	sip := byAddr["sip"]
	press(h, callerID, publicChan, sip, buttonsOf(t, sip.Blocks)["mpc_unhold"])
	h.idle()
	if us := phloActions(h)["unhold"]; len(us) != 1 || us[0].MemberAddress != "sip:bob@example.sip.plivo.com" || !strings.HasSuffix(us[0].Path, "/members/sip:bob@example.sip.plivo.com") {
		t.Errorf("unhold %+v", us)
	}
}

// TestCommandsSteerTheCall: hold, unhold, hangup, transfer and
// abort-transfer typed as commands, and the roster after three adds, a
// hold and a hangup.
func TestCommandsSteerTheCall(t *testing.T) {
	h := newHarness(t)
	h.command(callerID, publicChan, "+14155550100")
	h.command(callerID, publicChan, "<@"+aliceID+">")
	h.idle()
	h.phlo.Enqueue(phlotest.Response{Status: http.StatusUnauthorized, Body: `{"api_id":"x","error":"no"}`})
	h.command(callerID, publicChan, "<@"+profileUserID+">")
	h.idle()
	h.command(callerID, publicChan, "hold <@"+aliceID+">")
	h.command(callerID, publicChan, "hangup +1 415 555 0100")
	h.idle()
	acts := phloActions(h)
	if len(acts["hold"]) != 1 || acts["hold"][0].MemberAddress != "sip:alice@example.sip.plivo.com" {
		t.Errorf("hold %+v", acts["hold"])
	}
	if len(acts["hangup"]) != 1 || acts["hangup"][0].MemberAddress != "+14155550100" {
		t.Errorf("hangup %+v", acts["hangup"])
	}
	roster := privateAnswer(h, callerID, "roster")
	for _, want := range []string{
		"Whom this channel pulled onto the call in the last 12 hours",
		"<@" + aliceID + "> as agent: On hold, by <@" + callerID + ">",
		"+14155550100 as agent: Hung up, by <@" + callerID + ">",
		"<@" + profileUserID + "> as agent: Dial failed",
		"not a live view of the call",
	} {
		if !strings.Contains(roster, want) {
			t.Errorf("roster lacks %q:\n%s", want, roster)
		}
	}
	// Someone this channel did not add is refused, with the reason.
	if got := privateAnswer(h, callerID, "hold <@"+nobodyID+">"); !strings.Contains(got, "not added here in the last 12 hours") {
		t.Errorf("hold of someone not added: %q", got)
	}
	h.command(callerID, publicChan, "transfer <@"+aliceID+"> cold")
	h.command(callerID, publicChan, "abort-transfer")
	h.idle()
	acts = phloActions(h)
	if tr := acts["cold_transfer"]; len(tr) != 1 || tr[0].To != "sip:alice@example.sip.plivo.com" || tr[0].TriggerSource != callerNumber {
		t.Errorf("transfer %+v", tr)
	}
	if ab := acts["abort_transfer"]; len(ab) != 1 || ab[0].MemberAddress != callerNumber {
		t.Errorf("abort %+v", ab)
	}
	history := privateAnswer(h, callerID, "history")
	for _, want := range []string{"put <@" + aliceID + "> on hold: accepted", "hung up +1•••0100: accepted", "cold-transferred their caller to <@" + aliceID + ">", "aborted their transfer"} {
		if !strings.Contains(history, want) {
			t.Errorf("history lacks %q:\n%s", want, history)
		}
	}
}

// TestBridges: a request can name a bridge, a channel can be bound to
// one, messages name the bridge when there is more than one, member
// actions go to the bridge the person was added through, and an unknown
// bridge is refused with the list.
func TestBridges(t *testing.T) {
	h := newHarness(t, func(s *setup) { s.Bridges = []conference.Bridge{dbsBridge()} })
	if got := privateAnswer(h, callerID, "+14155550100 on nope"); !strings.Contains(got, "There is no bridge called `nope`") || !strings.Contains(got, "`dbs` (database incidents)") || !strings.Contains(got, "`default`") {
		t.Errorf("unknown bridge: %q", got)
	}
	if got := privateAnswer(h, callerID, "bridge"); !strings.Contains(got, "This channel uses the bridge default (the default)") {
		t.Errorf("bridge: %q", got)
	}
	if got := privateAnswer(h, callerID, "bridge dbs"); !strings.Contains(got, "This channel now uses the bridge dbs") {
		t.Errorf("bridge dbs: %q", got)
	}
	h.command(callerID, publicChan, "<@"+aliceID+">")
	parent, reply := h.waitThread(publicChan)
	if !strings.Contains(parent.Text, "to the call on dbs as") || !strings.Contains(reply.Text, "as agent on dbs") {
		t.Errorf("messages do not name the bridge: %q / %q", parent.Text, reply.Text)
	}
	h.command(callerID, publicChan, "+14155550100 on default")
	h.idle()
	h.command(callerID, publicChan, "hold <@"+aliceID+"> +14155550100")
	h.idle()
	calls, holds := phloActions(h)["call"], phloActions(h)["hold"]
	nodeOf := map[string]string{}
	for _, r := range append(calls, holds...) {
		nodeOf[r.Action+" "+r.To+r.MemberAddress] = r.NodeID
	}
	for k, want := range map[string]string{
		"call sip:alice@example.sip.plivo.com": dbsNodeID, "hold sip:alice@example.sip.plivo.com": dbsNodeID,
		"call +14155550100": phlotest.DefaultNodeID, "hold +14155550100": phlotest.DefaultNodeID,
	} {
		if nodeOf[k] != want {
			t.Errorf("%s went to node %q, want %q (all: %v)", k, nodeOf[k], want, nodeOf)
		}
	}
	if got := privateAnswer(h, callerID, "history"); !strings.Contains(got, "bound this channel to bridge dbs") {
		t.Errorf("the binding is not in the history:\n%s", got)
	}
}

// TestRosterButtons: the announcement's Roster button shows the roster to
// whoever presses it, and a roster line's buttons act on that person and
// show the roster again, changed.
func TestRosterButtons(t *testing.T) {
	h := newHarness(t)
	h.command(callerID, publicChan, "<@"+aliceID+">")
	parent, _ := h.waitThread(publicChan)
	h.idle()
	roster := buttonsOf(t, parent.Blocks)[actionRosterID]
	if roster.button == nil {
		t.Fatalf("the announcement has no Roster button: %s", parent.Blocks)
	}
	press(h, profileUserID, publicChan, parent, roster)
	h.waitFor("the roster", func() bool { return len(h.slack.Responses()) > 0 })
	shown := h.slack.Responses()[0]
	if shown.ResponseType != "ephemeral" || !strings.Contains(shown.Text, "<@"+aliceID+"> as agent: Dialled") {
		t.Fatalf("roster shown %+v", shown)
	}
	// Press Hold on alice's line of that (ephemeral) roster.
	line := buttonsOf(t, shown.Blocks)["mpc_hold"]
	env, err := h.slack.SendInteraction(map[string]any{
		"type": "block_actions", "team": map[string]any{"id": slacktest.TeamID}, "user": map[string]any{"id": profileUserID},
		"channel":      map[string]any{"id": publicChan},
		"container":    map[string]any{"type": "message", "channel_id": publicChan, "message_ts": "1764072009.000001", "is_ephemeral": true},
		"message":      map[string]any{"type": "message", "ts": "1764072009.000001", "blocks": json.RawMessage(shown.Blocks)},
		"response_url": shown.URL,
		"actions":      []map[string]any{{"type": "button", "action_id": line.button.ActionID, "block_id": line.blockID, "value": line.button.Value, "action_ts": "1764072010.000001"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.slack.WaitAck(h.ctx(), env); err != nil {
		t.Fatal(err)
	}
	h.idle()
	if holds := phloActions(h)["hold"]; len(holds) != 1 || holds[0].MemberAddress != "sip:alice@example.sip.plivo.com" {
		t.Fatalf("holds %+v", holds)
	}
	var again slacktest.Response
	for _, r := range h.slack.Responses() {
		if r.URL == shown.URL && r.ReplaceOriginal {
			again = r
		}
	}
	if !strings.Contains(again.Text, "is on hold") || !strings.Contains(again.Text, "<@"+aliceID+"> as agent: On hold, by <@"+profileUserID+">") {
		t.Errorf("the roster after Hold: %q", again.Text)
	}
}

// actionRosterID is the announcement's Roster button.
const actionRosterID = "mpc_roster"

// TestMalformedButtonIsAnswered: a button whose value mpc-bot cannot read
// (hand-made, or from an older message) acts on nobody and says so to the
// presser, rather than doing nothing in silence.
func TestMalformedButtonIsAnswered(t *testing.T) {
	h := newHarness(t)
	msg := slacktest.Message{TS: "1764072000.000100"}
	press(h, callerID, publicChan, msg, pressable{blockID: "b1", button: &slack.ButtonBlockElement{ActionID: "mpc_hold", Value: "not-a-button-value"}})
	h.waitFor("an answer to the press", func() bool {
		for _, r := range h.slack.Responses() {
			if strings.Contains(r.Text, "That button no longer works") {
				return true
			}
		}
		return false
	})
	h.idle()
	if n := len(h.phlo.Requests()); n != 0 {
		t.Errorf("%d PHLO requests from a malformed button", n)
	}
}
