package bot

import (
	"encoding/json"
	"strings"

	"github.com/slack-go/slack"
)

// message is what the bot shows a person: Block Kit blocks plus the plain
// text Slack uses in notifications and for screen readers. Every message
// is built by a function in this package from the real code path, so
// testdata/*.golden.json shows a reviewer all of them.
type message struct {
	Text   string        `json:"text"`
	Blocks []slack.Block `json:"blocks"`
}

func (m message) options() []slack.MsgOption {
	return []slack.MsgOption{
		slack.MsgOptionText(m.Text, false),
		slack.MsgOptionBlocks(m.Blocks...),
		slack.MsgOptionDisableLinkUnfurl(),
		slack.MsgOptionDisableMediaUnfurl(),
	}
}

// ackPayload is the message shown to the invoking user only, sent in the
// Socket Mode ack itself so it costs no Web API call.
func (m message) ackPayload() map[string]any {
	return map[string]any{"response_type": slack.ResponseTypeEphemeral, "text": m.Text, "blocks": m.Blocks}
}

// payloadSize is the size of p as JSON.
func payloadSize(p any) int {
	data, _ := json.Marshal(p)
	return len(data)
}

// withContext appends a small grey line.
func (m message) withContext(mrkdwn string) message {
	m.Blocks = append(append([]slack.Block(nil), m.Blocks...), contextLine(mrkdwn))
	m.Text += "\n" + textOf(mrkdwn)
	return m
}

func section(mrkdwn string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, mrkdwn, false, false), nil, nil)
}

func contextLine(mrkdwn string) slack.Block {
	return slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, mrkdwn, false, false))
}

func requestLine(requestID string) slack.Block { return contextLine("request `" + requestID + "`") }

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

// textOf strips the bold markers that would show as stray asterisks in
// notifications, which render the fallback text without mrkdwn. The rest
// stays escaped: the fallback is read as markup too.
func textOf(mrkdwn string) string {
	return strings.ReplaceAll(mrkdwn, "*", "")
}

func simpleMessage(mrkdwn string) message {
	return message{Text: textOf(mrkdwn), Blocks: []slack.Block{section(mrkdwn)}}
}

// escape neutralises Slack's three control characters in text we did not
// write ourselves, such as Plivo's error message or a note.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// list joins items as prose: "a", "a and b", "a, b and c".
func list(s []string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// cut shortens s to max runes.
func cut(s string, max int) string {
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}
