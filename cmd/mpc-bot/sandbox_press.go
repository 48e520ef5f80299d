package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/mpc-bot/mpc-bot/blocktext"
	"github.com/mpc-bot/mpc-bot/bot/slacktest"
)

// pressable is a numbered button: the message version it was shown on.
type pressable struct {
	msg     *shownMessage
	version int
	blockID string
	button  *slack.ButtonBlockElement
}

// press presses button [n], or shows its question first; it returns the
// envelope the press went out in, "" when nothing was sent.
func (s *sandbox) press(arg string) string {
	n, err := strconv.Atoi(strings.Trim(arg, "[] "))
	if err != nil || n < 1 || n > len(s.buttons) {
		s.say("sandbox", fmt.Sprintf("There is no button [%s]: the buttons go from [1] to [%d].", arg, len(s.buttons)))
		return ""
	}
	p := s.buttons[n-1]
	if p.version != p.msg.version || p.msg.deleted {
		s.say("sandbox", s.goneNote(n, p))
		return ""
	}
	if c := p.button.Confirm; c != nil {
		s.confirming = &p
		lines := s.names.Confirmation(c)
		lines = append(lines, blocktext.ContextPrefix+"Slack asks this before it tells mpc-bot anything: type yes to press "+
			s.names.Text(c.Confirm)+", or no.")
		s.print("asks first", lines)
		return ""
	}
	return s.click(p)
}

// goneNote says why an old button cannot be pressed.
func (s *sandbox) goneNote(n int, p pressable) string {
	if p.msg.deleted {
		return fmt.Sprintf("Button [%d] is gone: its message was deleted.", n)
	}
	if len(p.msg.buttons) == 0 {
		return fmt.Sprintf("Button [%d] is gone: its message was edited and has no buttons now.", n)
	}
	now := make([]string, len(p.msg.buttons))
	for i, b := range p.msg.buttons {
		now[i] = fmt.Sprintf("[%d] %s", b, s.names.Text(s.buttons[b-1].button.Text))
	}
	return fmt.Sprintf("Button [%d] is gone: its message was edited. Its buttons now: %s.", n, strings.Join(now, ", "))
}

// answerConfirmation takes yes or no for the question on screen. Anything
// else cancels, and is then read as a command of its own (ok false).
func (s *sandbox) answerConfirmation(line string) (envelope string, ok bool) {
	p := *s.confirming
	s.confirming = nil
	confirm := strings.ToLower(s.names.Text(p.button.Confirm.Confirm))
	switch strings.ToLower(line) {
	case "yes", "y", confirm:
		return s.click(p), true
	case "no", "n", "cancel":
		s.say("sandbox", "Cancelled: Slack tells mpc-bot nothing.")
		return "", true
	}
	s.say("sandbox", "Cancelled: Slack tells mpc-bot nothing.")
	return "", false
}

// click sends the block_actions payload Slack sends for a press: the
// container and the message as shown, the action, who pressed it, and a
// fresh response_url that can replace the message (and, for a private
// one, is the only way to).
func (s *sandbox) click(p pressable) string {
	m := p.msg
	s.actionSeq++
	responseURL := s.fs.NewResponseURL()
	s.byURL[responseURL] = m
	container := map[string]any{"type": "message", "message_ts": m.ts, "channel_id": m.channel, "is_ephemeral": m.private}
	message := map[string]any{
		"type": "message", "user": slacktest.BotUserID, "bot_id": slacktest.BotID, "app_id": slacktest.AppID,
		"team": slacktest.TeamID, "text": m.text, "ts": m.ts,
	}
	switch {
	case m.threadTS != "":
		container["thread_ts"] = m.threadTS
		message["thread_ts"] = m.threadTS
	case m.hasReplies:
		// Slack marks a message with replies as its thread's parent.
		message["thread_ts"] = m.ts
	}
	if len(m.blocks) > 0 {
		message["blocks"] = m.blocks
	}
	action := map[string]any{
		"type": "button", "action_id": p.button.ActionID, "block_id": p.blockID, "text": p.button.Text,
		"value": p.button.Value, "action_ts": fmt.Sprintf("1764095000.%06d", s.actionSeq),
	}
	if p.button.Style != "" {
		action["style"] = p.button.Style
	}
	payload := map[string]any{
		"type":       "block_actions",
		"user":       map[string]any{"id": sandboxYou, "username": "you", "name": "you", "team_id": slacktest.TeamID},
		"api_app_id": slacktest.AppID, "token": slacktest.VerificationToken,
		"container": container, "trigger_id": s.fs.NewTriggerID(),
		"team":       map[string]any{"id": slacktest.TeamID, "domain": slacktest.TeamDomain},
		"enterprise": nil, "is_enterprise_install": false,
		"channel":      map[string]any{"id": m.channel, "name": s.names.Channel(m.channel)},
		"message":      message,
		"state":        map[string]any{"values": map[string]any{}},
		"response_url": responseURL,
		"actions":      []any{action},
	}
	env, err := s.fs.SendInteraction(payload)
	if err != nil {
		s.say("sandbox", "could not press it: "+err.Error())
		return ""
	}
	return env
}
