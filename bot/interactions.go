package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mpc-bot/mpc-bot/conference"
)

// shortcutCallbackID is the message shortcut "Add to call" (manifest.yaml).
const shortcutCallbackID = "mpc_add_to_call"

// onInteraction routes buttons, shortcuts and form submissions.
func (b *Bot) onInteraction(smc *socketmode.Client, env *socketmode.Request, cb slack.InteractionCallback) {
	switch cb.Type {
	case slack.InteractionTypeViewSubmission:
		switch cb.View.CallbackID {
		case modalCallbackID:
			b.onModalSubmit(smc, env, cb)
			return
		case registerCallbackID:
			b.onRegisterSubmit(smc, env, cb)
			return
		}
	case slack.InteractionTypeMessageAction:
		if cb.CallbackID == shortcutCallbackID {
			b.ack(smc, env, nil)
			thread := threadOf(cb.Message.ThreadTimestamp, cb.Message.Timestamp)
			b.openModal(cb.TriggerID,
				modalOrigin{ChannelID: cb.Channel.ID, ThreadTS: thread, ResponseURL: cb.ResponseURL},
				privateReply{responseURL: cb.ResponseURL, channelID: cb.Channel.ID, userID: cb.User.ID, threadTS: thread})
			return
		}
	case slack.InteractionTypeBlockActions:
		for _, a := range cb.ActionCallback.BlockActions {
			if b.onButton(smc, env, cb, a) || b.onHomeAction(smc, env, cb, a) {
				return
			}
		}
	}
	b.ack(smc, env, nil)
	b.log.Debug("ignored interaction", "type", cb.Type, "callback_id", cb.CallbackID)
}

// onButton handles a press on one of the bot's buttons; false means the
// action is not one.
func (b *Bot) onButton(smc *socketmode.Client, env *socketmode.Request, cb slack.InteractionCallback, a *slack.BlockAction) bool {
	var kind conference.Kind
	var verb conference.Verb
	switch a.ActionID {
	case actionRetry:
		kind = conference.KindRetryEntry
	case actionRetryRequest:
		kind = conference.KindRetryRequest
	case actionHold:
		kind, verb = conference.KindAct, conference.VerbHold
	case actionUnhold:
		kind, verb = conference.KindAct, conference.VerbUnhold
	case actionHangup:
		kind, verb = conference.KindAct, conference.VerbHangup
	case actionRoster:
	default:
		return false
	}
	v, ok := decodeButton(a.Value)
	if !ok {
		b.ack(smc, env, nil)
		b.log.Warn("ignored a button with a malformed value", "user", cb.User.ID, "action", a.ActionID)
		b.spawn(func() {
			b.tellPrivately(context.Background(), privateReply{responseURL: cb.ResponseURL, channelID: cb.Channel.ID, userID: cb.User.ID},
				simpleMessage(":warning: That button no longer works. Run `/mpc-add roster` for fresh ones."))
		})
		return true
	}
	channel, ts := cb.Channel.ID, cb.Message.Timestamp
	if cb.Container.ChannelID != "" {
		channel, ts = cb.Container.ChannelID, cb.Container.MessageTs
	}
	who := conference.Person{Team: cb.Team.ID, Enterprise: cb.Enterprise.ID, User: cb.User.ID}
	thread := cb.Message.ThreadTimestamp
	rt := route{
		Channel: channel, User: cb.User.ID, ResponseURL: cb.ResponseURL, Message: ts, Try: v.Try,
		Ephemeral: cb.Container.IsEphemeral, Roster: isRosterAction(a), Line: firstLine(cb.Message),
		// A press in the app's DM is answered in the DM, where it stays.
		DM: strings.HasPrefix(channel, "D"),
	}
	if a.ActionID == actionRoster {
		where := conference.Place{Team: cb.Team.ID, Channel: channel, Thread: v.Thread}
		b.answerCommand(smc, env, "", who, where, rt, Command{Kind: CommandRoster}, false)
		return true
	}
	if kind == conference.KindRetryRequest {
		// The retry is announced anew, in the thread of the message the
		// button was on (or under it).
		rt.Thread = threadOf(thread, ts)
		rt.Message, rt.Line = "", ""
	} else {
		rt.Thread = thread
	}
	where := conference.Place{Team: cb.Team.ID, Channel: channel, Thread: thread}
	if rt.Roster {
		where.Thread = v.Thread
	}
	of := v.Entry
	if kind == conference.KindRetryRequest {
		of = v.Request
	}
	req := conference.Request{
		// One press per message state: a double click carries the same
		// key and acts once, across replicas.
		Key:  fmt.Sprintf("button:%s:%s:%d", channel, ts, v.Try),
		Kind: kind, Verb: verb, By: who, Place: where, Of: of, Try: v.Try, Reply: rt.encode(),
	}
	if rt.Roster {
		// A roster has a row of buttons per person, all in one state.
		req.Key = fmt.Sprintf("button:%s:%s:%s:%d", channel, ts, a.BlockID, v.Try)
	}
	b.submit(smc, env, req, rt, false)
	return true
}

// isRosterAction reports whether a press came from a roster line, whose
// block IDs name the entry.
func isRosterAction(a *slack.BlockAction) bool {
	return len(a.BlockID) > len("roster:") && a.BlockID[:len("roster:")] == "roster:"
}

// firstLine is the text of a message's first section: the outcome line a
// member button's update keeps.
func firstLine(m slack.Message) string {
	for _, blk := range m.Blocks.BlockSet {
		if s, ok := blk.(*slack.SectionBlock); ok && s.Text != nil {
			return s.Text.Text
		}
	}
	return ""
}
