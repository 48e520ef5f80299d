package bot

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/mpc-bot/mpc-bot/address"
	"github.com/mpc-bot/mpc-bot/phlo"
	"github.com/mpc-bot/mpc-bot/store"
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

// textOf strips the bold markers that would show as stray asterisks in
// notifications, which render the fallback text without mrkdwn.
func textOf(mrkdwn string) string {
	return strings.ReplaceAll(mrkdwn, "*", "")
}

func simpleMessage(mrkdwn string) message {
	return message{Text: textOf(mrkdwn), Blocks: []slack.Block{section(mrkdwn)}}
}

func helpMessage(command, region string) message {
	body := fmt.Sprintf(`*%[1]s* pulls people onto the team's Plivo conference call.
• %[2]s — dial a number, as an agent
• %[3]s — dial a number as a customer
• %[4]s — dial a SIP endpoint
• %[5]s — dial teammates or a user group at the numbers the directory or their Slack profiles give
• %[6]s — open a form (pick people, add a note)
• %[7]s — show this help
In a thread, use the message shortcut *Add to call*, or mention me: %[8]s.`,
		command,
		"`"+command+" +14155550100`",
		"`"+command+" +1 (415) 555-0100 customer`",
		"`"+command+" sip:alice@example.sip.plivo.com`",
		"`"+command+" @alice @bob @oncall-dbs [agent|customer]`",
		"`"+command+"`",
		"`"+command+" help`",
		"`@mpc-bot add @alice`")
	note := fmt.Sprintf("Numbers without a country code are read as %s numbers. Plivo places each call on behalf of your own number, from the directory file or your Slack profile. At most %d people per request.", region, MaxPeople)
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
func groupTarget(groupID string) target {
	return target{mrkdwn: "<!subteam^" + groupID + ">"}
}

// list joins targets as prose: "a", "a and b", "a, b and c".
func list(ts []target) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = t.mrkdwn
	}
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// maxNote bounds the "why do you need them?" note; the modal enforces it
// in the client, this in the message.
const maxNote = 300

func announceMessage(callerID string, to []target, role phlo.Role, note string, missing []unreachable, requestID string) message {
	body := fmt.Sprintf(":telephone_receiver: <@%s> is adding %s to the call as *%s*.", callerID, list(to), role)
	blocks := []slack.Block{section(body)}
	text := body
	if note = strings.TrimSpace(note); note != "" {
		if r := []rune(note); len(r) > maxNote {
			note = string(r[:maxNote]) + "…"
		}
		quoted := "> " + strings.ReplaceAll(escape(note), "\n", "\n> ")
		blocks = append(blocks, section("*Why:*\n"+quoted))
		text += " Why: " + note
	}
	if len(missing) > 0 {
		line := "Not dialled: " + unreachableList(missing)
		blocks = append(blocks, contextLine(line))
		text += " " + line
	}
	blocks = append(blocks, requestLine(requestID))
	return message{Text: textOf(text), Blocks: blocks}
}

func unreachableList(us []unreachable) string {
	s := make([]string, len(us))
	for i, u := range us {
		s[i] = u.shown.mrkdwn + " (" + u.why + ")"
	}
	return strings.Join(s, "; ")
}

// outcomeStatus is what became of an add, as far as the bot can know.
type outcomeStatus int

const (
	outcomeDialled outcomeStatus = iota + 1
	outcomeFailed                // nothing was dialled
	outcomeUnknown               // Plivo may or may not have dialled
)

type outcome struct {
	status   outcomeStatus
	apiID    string
	reason   string // mrkdwn, for failed and unknown
	unposted bool   // the thread reply could not be posted
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

func outcomeLine(to target, role phlo.Role, o outcome) string {
	switch o.status {
	case outcomeDialled:
		return fmt.Sprintf(":white_check_mark: Plivo is dialling %s as *%s*. PHLO api_id `%s`", to.mrkdwn, role, escape(o.apiID))
	case outcomeUnknown:
		return fmt.Sprintf(":warning: %s may or may not be dialled: %s", to.mrkdwn, o.reason)
	}
	return fmt.Sprintf(":x: Could not add %s: %s", to.mrkdwn, o.reason)
}

// outcomeMessage is one person's result, the reply in the thread. A failed
// or unknown outcome carries a Retry button; for an unknown one it asks
// first, since the first call may still ring.
func outcomeMessage(to target, role phlo.Role, o outcome, requestID string, retry *retryValue) message {
	body := outcomeLine(to, role, o)
	blocks := []slack.Block{section(body)}
	if retry != nil {
		value, _ := json.Marshal(retry)
		btn := slack.NewButtonBlockElement(retryActionID, string(value), slack.NewTextBlockObject(slack.PlainTextType, "Retry", false, false))
		if o.status == outcomeUnknown {
			btn.Style = slack.StyleDanger
			btn.Confirm = slack.NewConfirmationBlockObject(
				slack.NewTextBlockObject(slack.PlainTextType, "Dial again?", false, false),
				slack.NewTextBlockObject(slack.MarkdownType, "The first call may still ring. Check the bridge first: dialling again could ring them twice.", false, false),
				slack.NewTextBlockObject(slack.PlainTextType, "Dial again", false, false),
				slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false))
		} else {
			btn.Style = slack.StylePrimary
		}
		blocks = append(blocks, slack.NewActionBlock("retry", btn))
	}
	blocks = append(blocks, requestLine(requestID))
	return message{Text: textOf(body), Blocks: blocks}
}

func retryingMessage(to target, presserID, requestID string) message {
	body := fmt.Sprintf(":arrows_counterclockwise: <@%s> is retrying %s…", presserID, to.mrkdwn)
	return message{Text: textOf(body), Blocks: []slack.Block{section(body), requestLine(requestID)}}
}

// partyOutcome pairs a person with their result, for the private summary.
type partyOutcome struct {
	shown   target
	outcome outcome
}

// privateOutcomeMessage is the whole story in one message, for when the bot
// cannot post in the channel or thread and answers privately instead.
func privateOutcomeMessage(announce message, results []partyOutcome, role phlo.Role, requestID string) message {
	lines := make([]string, len(results))
	for i, r := range results {
		lines[i] = outcomeLine(r.shown, role, r.outcome)
	}
	body := strings.Join(lines, "\n")
	note := "I could not post this in the channel (invite me with `/invite @mpc-bot` to share results there), so only you see it."
	return message{
		Text:   announce.Text + "\n" + textOf(body),
		Blocks: []slack.Block{announce.Blocks[0], section(body), contextLine(note + " request `" + requestID + "`")},
	}
}

// escape neutralises Slack's three control characters in text we did not
// write ourselves, such as Plivo's error message or a note.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func callerUnknownMessage(userID string, err *NoAddressError) message {
	why := "I don't know your own phone number, which Plivo needs to place the call on your behalf (its `trigger_source`)."
	if err.ProfileReason != "" {
		why = fmt.Sprintf("The phone number in your Slack profile cannot be used: %s. Plivo needs your own number to place the call on your behalf (its `trigger_source`).", err.ProfileReason)
	}
	fix := fmt.Sprintf("To fix it, register it with `/mpc-add register +14155550100` (your own number, with its country code), or put it in your Slack profile (*Profile → Edit profile → Phone*), or ask an admin to add this line under `users:` in the directory file (`MPC_DIRECTORY`): `%s: \"+1…\"`. Nothing was dialled.", userID)
	return message{Text: textOf(why + " " + fix), Blocks: []slack.Block{section(":bust_in_silhouette: " + why), section(fix)}}
}

func nobodyToDialMessage(missing []unreachable) message {
	if len(missing) == 0 {
		return simpleMessage(":bust_in_silhouette: That names nobody I can dial. Nothing was dialled.")
	}
	return simpleMessage(":bust_in_silhouette: I know no number for anyone named, so nothing was dialled: " + unreachableList(missing) + ". Give their numbers instead, e.g. `/mpc-add +14155550100`.")
}

func tooManyMessage(err *TooManyPeopleError) message {
	return simpleMessage(fmt.Sprintf(":warning: That is %d people once user groups are counted; one request dials at most %d. Nothing was dialled: name fewer people, or split the request.", err.Count, MaxPeople))
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

func rateQueuedMessage(perMinute int, wait time.Duration) message {
	return simpleMessage(fmt.Sprintf(":hourglass_flowing_sand: You have dialled many people lately (the limit is %d a minute), so this request waits %s and then goes out. Nothing was dropped.", perMinute, wait.Round(time.Second)))
}

func rateLimitedMessage(perMinute int, wait time.Duration) message {
	return simpleMessage(fmt.Sprintf(":hourglass: You have dialled many people lately (the limit is %d a minute), so nothing was dialled. Try again in %s.", perMinute, wait.Round(time.Second)))
}

func registeredMessage(shown string) message {
	return simpleMessage(fmt.Sprintf(":white_check_mark: Registered: calls you start with `/mpc-add` now come from *%s*. `/mpc-add whoami` shows it, `/mpc-add unregister` removes it.", escape(shown)))
}

func unregisteredMessage(existed bool) message {
	if !existed {
		return simpleMessage("You had no registered number. `/mpc-add whoami` shows which number is used.")
	}
	return simpleMessage(":wastebasket: Your registered number is removed. `/mpc-add whoami` shows which number is used now.")
}

func whoamiMessage(shown string, from source) message {
	return simpleMessage(fmt.Sprintf(":bust_in_silhouette: Calls you start come from *%s* (%s). Precedence: `/mpc-add register`, then the directory file, then your Slack profile.", escape(shown), from))
}

// historyMessage lists a channel's recent adds, numbers always masked:
// the history is a record for many eyes, not a phone book.
func historyMessage(adds []store.Add, now time.Time) message {
	if len(adds) == 0 {
		return simpleMessage("No adds in this channel yet.")
	}
	lines := []string{"*Recent adds in this channel*"}
	for _, a := range adds {
		whom := "*" + maskedOrRaw(a.To) + "*"
		if a.ToUser != "" {
			whom = "<@" + a.ToUser + ">"
		}
		when := fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", a.CreatedAt.Unix(), a.CreatedAt.Format("2006-01-02 15:04 UTC"))
		var result string
		switch a.Status {
		case store.StatusDialled:
			result = "dialled, api_id `" + escape(a.APIID) + "`"
		case store.StatusPending:
			if now.Sub(a.CreatedAt) > 2*time.Minute {
				result = "outcome unknown (no answer was recorded; the bot may have stopped)"
			} else {
				result = "in progress"
			}
		default:
			result = string(a.Status) + ": " + escape(firstSentence(a.Error))
		}
		if a.Status == store.StatusDenied && a.To == "" {
			lines = append(lines, fmt.Sprintf("• %s <@%s> was refused: %s", when, a.UserID, escape(firstSentence(a.Error))))
			continue
		}
		lines = append(lines, fmt.Sprintf("• %s <@%s> added %s as %s: %s", when, a.UserID, whom, a.Role, result))
	}
	return simpleMessage(strings.Join(lines, "\n"))
}

func maskedOrRaw(s string) string {
	if a, err := address.Parse(s, ""); err == nil {
		return a.Masked()
	}
	return "•••"
}

func firstSentence(s string) string {
	const max = 120
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}
