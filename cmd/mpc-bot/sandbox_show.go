package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/mpc-bot/mpc-bot/blocktext"
)

// labelWidth is the width of the left column that says where a line is.
const labelWidth = 11

// shownMessage is a message as the person last saw it.
type shownMessage struct {
	channel, ts, threadTS string
	// private marks a message only the person sees; via says how it came.
	private bool
	via     string
	text    string
	blocks  json.RawMessage
	// version counts edits; a button pressed on an older version is gone.
	version int
	// hasReplies marks a top-level message with a thread under it.
	hasReplies bool
	deleted    bool
	buttons    []int // the numbers of its current buttons
}

// firstLine is the message's first line as shown, for naming it.
func (s *sandbox) firstLine(m *shownMessage) string {
	lines := s.render(m, false)
	if len(lines) == 0 {
		return ""
	}
	line := []rune(lines[0])
	if len(line) > 60 {
		return string(line[:60]) + "…"
	}
	return string(line)
}

// render renders m; numbered gives its buttons the next free numbers.
func (s *sandbox) render(m *shownMessage, numbered bool) []string {
	var blocks slack.Blocks
	if len(m.blocks) > 0 {
		if err := json.Unmarshal(m.blocks, &blocks); err != nil {
			return append(s.names.Message(m.text, nil, nil), "(its blocks do not decode: "+err.Error()+")")
		}
	}
	var key blocktext.Keyer
	if numbered {
		m.buttons = nil
		key = func(blockID string, b *slack.ButtonBlockElement) string {
			s.buttons = append(s.buttons, pressable{msg: m, version: m.version, blockID: blockID, button: b})
			n := len(s.buttons)
			m.buttons = append(m.buttons, n)
			return fmt.Sprint(n)
		}
	}
	return s.names.Message(m.text, blocks.BlockSet, key)
}

// show prints everything that happened since the last call, in a fixed
// order: private replies in acks, forms, channel messages, edits,
// ephemerals, response_url posts, PHLO requests.
func (s *sandbox) show() {
	acks := s.fs.Acks()
	for _, a := range acks[s.acks:] {
		s.showAck(a.Payload)
	}
	s.acks = len(acks)
	s.formAnswered()

	views := s.fs.Views()
	for _, v := range views[s.views:] {
		s.openForm(v)
	}
	s.views = len(views)

	msgs := s.fs.Messages()
	for _, m := range msgs[s.messages:] {
		s.post(&shownMessage{channel: m.Channel, ts: m.TS, threadTS: m.ThreadTS, text: m.Text, blocks: m.Blocks})
		if m.ReplyBroadcast {
			s.say("", blocktext.ContextPrefix+"also sent to #"+s.names.Channel(m.Channel))
		}
	}
	s.messages = len(msgs)

	updates := s.fs.Updates()
	for _, u := range updates[s.updates:] {
		m := s.byTS[u.TS]
		if m == nil {
			m = &shownMessage{channel: u.Channel, ts: u.TS}
			s.byTS[u.TS] = m
		}
		s.edit(m, u.Text, u.Blocks, "chat.update")
	}
	s.updates = len(updates)

	ephemerals := s.fs.Ephemerals()
	for _, e := range ephemerals[s.ephemerals:] {
		s.post(&shownMessage{channel: e.Channel, ts: e.TS, threadTS: e.ThreadTS, text: e.Text, blocks: e.Blocks, private: true, via: "chat.postEphemeral"})
	}
	s.ephemerals = len(ephemerals)

	responses := s.fs.Responses()
	for _, r := range responses[s.responses:] {
		s.showResponse(r.URL, r.Text, r.Blocks, r.ReplaceOriginal, r.DeleteOriginal)
	}
	s.responses = len(responses)

	s.showPHLO()
}

// showAck prints the private reply a slash command's ack carried. Form
// answers (response_action) are the form's business.
func (s *sandbox) showAck(payload json.RawMessage) {
	if len(payload) == 0 || string(payload) == "null" {
		return
	}
	var p struct {
		Text           string          `json:"text"`
		Blocks         json.RawMessage `json:"blocks"`
		ResponseAction string          `json:"response_action"`
	}
	if json.Unmarshal(payload, &p) != nil || p.ResponseAction != "" || (p.Text == "" && len(p.Blocks) == 0) {
		return
	}
	s.post(&shownMessage{channel: sandboxChannel, ts: s.privateTS(), text: p.Text, blocks: p.Blocks, private: true, via: "the command's ack"})
}

// showResponse prints a post to a response_url: a new private message, or
// an edit of the one whose button gave out the URL.
func (s *sandbox) showResponse(url, text string, blocks json.RawMessage, replace, remove bool) {
	m := s.byURL[url]
	switch {
	case m != nil && remove:
		m.deleted = true
		m.version++
		s.say("deleted", fmt.Sprintf("the private message %q is gone (response_url, delete_original)", s.firstLine(m)))
	case m != nil && replace:
		s.edit(m, text, blocks, "response_url, replace_original")
	default:
		s.post(&shownMessage{channel: sandboxChannel, ts: s.privateTS(), text: text, blocks: blocks, private: true, via: "response_url"})
	}
}

// post prints a new message.
func (s *sandbox) post(m *shownMessage) {
	label := "#" + s.names.Channel(m.channel)
	var tail []string
	if m.threadTS != "" {
		label = "└ thread"
		if parent := s.byTS[m.threadTS]; parent != nil {
			parent.hasReplies = true
			if parent != s.lastTop {
				tail = append(tail, fmt.Sprintf("in the thread of %q", s.firstLine(parent)))
			}
		}
	}
	if m.private {
		label = "only you"
		tail = append(tail, "only you can see this ("+m.via+")")
	}
	if m.ts != "" {
		s.byTS[m.ts] = m
	}
	if m.threadTS == "" && !m.private {
		s.lastTop = m
	}
	s.print(label, s.render(m, true))
	for _, t := range tail {
		s.print("", []string{blocktext.ContextPrefix + t})
	}
}

// edit prints a message replaced in place; its old buttons are gone.
func (s *sandbox) edit(m *shownMessage, text string, blocks json.RawMessage, via string) {
	was := s.firstLine(m)
	m.text, m.blocks = text, blocks
	m.version++
	s.print("edited", s.render(m, true))
	what := "the message"
	switch {
	case m.private:
		what = "your private message"
	case m.threadTS != "":
		what = "the thread reply"
	}
	s.print("", []string{fmt.Sprintf("%sedited in place (%s): %s that read %q", blocktext.ContextPrefix, via, what, was)})
}

// showPHLO prints each PHLO request and its answer.
func (s *sandbox) showPHLO() {
	reqs := s.fp.Requests()
	held := s.fp.Failure().Delay > 0
	for _, r := range reqs[s.requests:] {
		answer := fmt.Sprintf("→ %d api_id %s", r.Status, r.APIID)
		if held {
			answer = "→ no answer yet (phlo slow): mpc-bot gives up waiting"
		}
		s.print("PHLO", []string{strings.TrimSpace(r.Method + " " + r.Path + " " + strings.TrimSpace(string(r.RawBody))), answer})
	}
	s.requests = len(reqs)
}

// privateTS is the ts Slack gives a private message that came without
// one (in an ack or through a response_url), so its buttons can name it.
func (s *sandbox) privateTS() string {
	s.privateSeq++
	return fmt.Sprintf("1764090000.%06d", s.privateSeq)
}

// print writes lines with label in the left column of the first.
func (s *sandbox) print(label string, lines []string) {
	for i, l := range lines {
		if i > 0 {
			label = ""
		}
		pad := labelWidth - utf8.RuneCountInString(label)
		fmt.Fprintf(s.out, "  %s%s %s\n", label, strings.Repeat(" ", max(pad, 0)), l)
	}
}

// say prints a note of the sandbox's own.
func (s *sandbox) say(label, text string) {
	s.print(label, strings.Split(text, "\n"))
}
