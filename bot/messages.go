package bot

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/mpc-bot/mpc-bot/phlo"
)

// message is what the bot shows a person: Block Kit blocks plus the plain
// text Slack uses in notifications and for screen readers. Every message is
// built here, so testdata/*.golden.json shows a reviewer all of them.
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

func section(mrkdwn string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, mrkdwn, false, false), nil, nil)
}

func contextLine(mrkdwn string) slack.Block {
	return slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, mrkdwn, false, false))
}

// textOf strips the bold markers that would show as stray asterisks in
// notifications, which render the fallback text without mrkdwn.
func textOf(mrkdwn string) string {
	return strings.ReplaceAll(mrkdwn, "*", "")
}

func simpleMessage(mrkdwn string) message {
	return message{Text: textOf(mrkdwn), Blocks: []slack.Block{section(mrkdwn)}}
}

func helpMessage(command, region string) message {
	body := fmt.Sprintf(`*%[1]s* pulls someone onto the team's Plivo conference call.
• %[2]s — dial a number, as an agent
• %[3]s — dial a number as a customer
• %[4]s — dial a SIP endpoint
• %[5]s — dial a teammate at the number in the directory or their Slack profile
• %[6]s — show this help`,
		command,
		"`"+command+" +14155550100`",
		"`"+command+" +1 (415) 555-0100 customer`",
		"`"+command+" sip:alice@example.sip.plivo.com`",
		"`"+command+" @alice [agent|customer]`",
		"`"+command+" help`")
	note := fmt.Sprintf("Numbers without a country code are read as %s numbers. Plivo places the call on behalf of your own number: the one the directory file or your Slack profile gives.", region)
	return message{
		Text:   textOf(body),
		Blocks: []slack.Block{section(body), contextLine(note)},
	}
}

func usageMessage(err *UsageError) message {
	return simpleMessage(":warning: " + err.Message)
}

// target is whom an add dials, as a channel shows them: a mention for a
// Slack user, the number or SIP address as typed (normalised) otherwise.
type target struct {
	mrkdwn string
}

func numberTarget(s string) target    { return target{mrkdwn: "*" + escape(s) + "*"} }
func userTarget(userID string) target { return target{mrkdwn: "<@" + userID + ">"} }

func announceMessage(callerID string, to target, role phlo.Role, requestID string) message {
	body := fmt.Sprintf(":telephone_receiver: <@%s> is adding %s to the call as *%s*.", callerID, to.mrkdwn, role)
	return message{
		Text:   textOf(body),
		Blocks: []slack.Block{section(body), contextLine("request `" + requestID + "`")},
	}
}

// outcomeStatus is what became of an add, as far as the bot can know.
type outcomeStatus int

const (
	outcomeDialled outcomeStatus = iota + 1
	outcomeFailed                // nothing was dialled
	outcomeUnknown               // Plivo may or may not have dialled
)

type outcome struct {
	status outcomeStatus
	apiID  string
	reason string // mrkdwn, for failed and unknown
}

func (o outcome) String() string {
	switch o.status {
	case outcomeDialled:
		return "dialled"
	case outcomeFailed:
		return "failed"
	case outcomeUnknown:
		return "unknown"
	}
	return "none"
}

func outcomeMessage(to target, role phlo.Role, o outcome, requestID string) message {
	var body string
	switch o.status {
	case outcomeDialled:
		body = fmt.Sprintf(":white_check_mark: Plivo is dialling %s as *%s*. PHLO api_id `%s`", to.mrkdwn, role, escape(o.apiID))
	case outcomeUnknown:
		body = fmt.Sprintf(":warning: %s may or may not be dialled: %s", to.mrkdwn, o.reason)
	default:
		body = fmt.Sprintf(":x: Could not add %s: %s", to.mrkdwn, o.reason)
	}
	return message{
		Text:   textOf(body),
		Blocks: []slack.Block{section(body), contextLine("request `" + requestID + "`")},
	}
}

// privateOutcomeMessage is the whole story in one message, for when the bot
// cannot post in the channel and answers through the response_url instead.
func privateOutcomeMessage(callerID string, to target, role phlo.Role, o outcome, requestID string) message {
	announce := announceMessage(callerID, to, role, requestID)
	result := outcomeMessage(to, role, o, requestID)
	note := "I could not post in this channel (invite me with `/invite @mpc-bot` to share results here), so only you see this."
	return message{
		Text:   announce.Text + "\n" + result.Text,
		Blocks: []slack.Block{announce.Blocks[0], result.Blocks[0], contextLine(note + " request `" + requestID + "`")},
	}
}

// escape neutralises Slack's three control characters in text we did not
// write ourselves, such as Plivo's error message.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func callerUnknownMessage(userID string, err *NoAddressError) message {
	why := "I don't know your own phone number, which Plivo needs to place the call on your behalf (its `trigger_source`)."
	if err.ProfileReason != "" {
		why = fmt.Sprintf("The phone number in your Slack profile cannot be used: %s. Plivo needs your own number to place the call on your behalf (its `trigger_source`).", err.ProfileReason)
	}
	fix := fmt.Sprintf("To fix it, either put your number, with its country code, in your Slack profile (*Profile → Edit profile → Phone*), or ask an admin to add this line under `users:` in the directory file (`MPC_DIRECTORY`): `%s: \"+1…\"`. Nothing was dialled.", userID)
	return message{Text: textOf(why + " " + fix), Blocks: []slack.Block{section(":bust_in_silhouette: " + why), section(fix)}}
}

func targetUnknownMessage(userID string, err *NoAddressError) message {
	why := "they have no number in the directory file or in their Slack profile"
	if err.ProfileReason != "" {
		why = "the phone number in their Slack profile cannot be used: " + err.ProfileReason
	}
	return simpleMessage(fmt.Sprintf(":bust_in_silhouette: I don't know a number for <@%s>: %s. Give their number instead, e.g. `/mpc-add +14155550100`. Nothing was dialled.", userID, why))
}

func profileLookupFailedMessage(userID, slackError string) message {
	return simpleMessage(fmt.Sprintf(":warning: I could not read <@%s>'s Slack profile (Slack said `%s`), so nothing was dialled. Try again in a moment.", userID, escape(slackError)))
}

func busyMessage(queued int) message {
	return simpleMessage(fmt.Sprintf(":hourglass: mpc-bot already has %d adds waiting, so it did not take this one and nothing was dialled. Try again in a minute.", queued))
}

func queuedMessage(position int) message {
	return simpleMessage(fmt.Sprintf(":hourglass_flowing_sand: Queued: yours is number %d in line, and Plivo will be called as soon as an earlier add finishes.", position))
}

func stoppedMessage() message {
	return simpleMessage(":warning: mpc-bot was restarting before it could call Plivo, so nothing was dialled. Try again in a moment.")
}

func unknownCommandMessage(command string) message {
	return simpleMessage(fmt.Sprintf(":warning: mpc-bot does not handle %s.", quote(command)))
}
