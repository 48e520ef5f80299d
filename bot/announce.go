package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/mpc-bot/mpc-bot/conference"
)

// maxNote bounds the "why do you need them?" note; the form enforces it
// in the client, this in the message.
const maxNote = 300

// announceMessage is what a typed request posts before it acts: who is
// doing what to whom, why, and who could not be included.
func announceMessage(rn renderer, req conference.Request, a conference.Announcement) message {
	whom := make([]string, len(a.Parties))
	for i, p := range a.Parties {
		whom[i] = rn.party(p)
	}
	by := "<@" + req.By.User + ">"
	on := rn.onBridge(a.Bridge.Name)
	var body string
	switch a.Verb {
	case conference.VerbHold:
		body = fmt.Sprintf(":pause_button: %s is putting %s on hold%s.", by, list(whom), on)
	case conference.VerbUnhold:
		body = fmt.Sprintf(":arrow_forward: %s is taking %s off hold%s.", by, list(whom), on)
	case conference.VerbHangup:
		body = fmt.Sprintf(":no_entry_sign: %s is hanging up %s%s.", by, list(whom), on)
	case conference.VerbWarmTransfer:
		body = fmt.Sprintf(":twisted_rightwards_arrows: %s is transferring their caller to %s%s (warm: they talk to %s first).", by, list(whom), on, list(whom))
	case conference.VerbColdTransfer:
		body = fmt.Sprintf(":twisted_rightwards_arrows: %s is transferring their caller straight to %s%s (cold: %s leaves the call).", by, list(whom), on, by)
	case conference.VerbAbortTransfer:
		body = fmt.Sprintf(":leftwards_arrow_with_hook: %s is aborting the transfer they started%s.", by, on)
	default:
		body = fmt.Sprintf(":telephone_receiver: %s is adding %s to the call%s as *%s*.", by, list(whom), on, a.Role)
	}
	blocks := []slack.Block{section(body)}
	text := body
	if note := strings.TrimSpace(req.Note); note != "" {
		note = escape(cut(note, maxNote))
		blocks = append(blocks, section("*Why:*\n> "+strings.ReplaceAll(note, "\n", "\n> ")))
		text += " Why: " + note
	}
	if len(a.Unreachable) > 0 {
		line := notIncludedLabel(a.Verb) + ": " + rn.unreachableList(a.Unreachable)
		blocks = append(blocks, contextLine(line))
		text += " " + line
	}
	if a.Verb == conference.VerbCall {
		blocks = append(blocks, slack.NewActionBlock("announcement", rosterButton(req.Place.Thread)))
	}
	blocks = append(blocks, requestLine(req.ID))
	return message{Text: textOf(text), Blocks: blocks}
}

func notIncludedLabel(v conference.Verb) string {
	if v == conference.VerbCall {
		return "Not dialled"
	}
	return "Left out"
}

// outcomeText is one party's result as one line.
func (rn renderer) outcomeText(o conference.PartyOutcome) string {
	who := rn.party(o.Party)
	on := rn.onBridge(o.Bridge.Name)
	out := o.Outcome
	id := ""
	switch {
	case out.APIID != "":
		id = " PHLO api_id `" + escape(out.APIID) + "`"
	case out.Accepted():
		id = " Plivo accepted the request (no api_id given)."
	}
	if out.Accepted() && out.Plivo != "" {
		id += " Plivo said: _" + escape(out.Plivo) + "_"
	}
	v := o.Entry.Verb
	switch out.Status {
	case conference.StatusAccepted:
		switch v {
		case conference.VerbHold:
			return fmt.Sprintf(":pause_button: %s is on hold%s.%s", who, on, id)
		case conference.VerbUnhold:
			return fmt.Sprintf(":arrow_forward: %s is off hold%s.%s", who, on, id)
		case conference.VerbHangup:
			return fmt.Sprintf(":no_entry_sign: %s was hung up%s.%s", who, on, id)
		case conference.VerbWarmTransfer, conference.VerbColdTransfer:
			return fmt.Sprintf(":twisted_rightwards_arrows: Plivo is transferring the caller to %s%s.%s", who, on, id)
		case conference.VerbAbortTransfer:
			return fmt.Sprintf(":leftwards_arrow_with_hook: The transfer was aborted%s.%s", on, id)
		}
		return fmt.Sprintf(":white_check_mark: Plivo is dialling %s as *%s*%s.%s", who, o.Entry.Role, on, id)
	case conference.StatusUnknown:
		return fmt.Sprintf(":warning: %s: %s", capitalise(rn.mayOrMayNot(v, who)), rn.reason(out, v))
	}
	return fmt.Sprintf(":x: Could not %s: %s", rn.doing(v, who), rn.reason(out, v))
}

// doing is the verb phrase "add @bob", "put @bob on hold", ….
func (rn renderer) doing(v conference.Verb, who string) string {
	switch v {
	case conference.VerbHold:
		return "put " + who + " on hold"
	case conference.VerbUnhold:
		return "take " + who + " off hold"
	case conference.VerbHangup:
		return "hang up " + who
	case conference.VerbWarmTransfer, conference.VerbColdTransfer:
		return "transfer the caller to " + who
	case conference.VerbAbortTransfer:
		return "abort the transfer"
	}
	return "add " + who
}

// mayOrMayNot is the phrase for an unknown outcome.
func (rn renderer) mayOrMayNot(v conference.Verb, who string) string {
	switch v {
	case conference.VerbHold:
		return who + " may or may not be on hold"
	case conference.VerbUnhold:
		return who + " may or may not be off hold"
	case conference.VerbHangup:
		return who + " may or may not be hung up"
	case conference.VerbWarmTransfer, conference.VerbColdTransfer:
		return "the transfer to " + who + " may or may not be under way"
	case conference.VerbAbortTransfer:
		return "the transfer may or may not be aborted"
	}
	return who + " may or may not be dialled"
}

// outcomeMessage is one party's result, the reply in the thread. A dial
// Plivo accepted offers Hold, Take off hold and Hang up; a failed or
// unknown one offers Retry.
func outcomeMessage(rn renderer, o conference.PartyOutcome, try int) message {
	body := rn.outcomeText(o)
	blocks := []slack.Block{section(body)}
	if els := outcomeButtons(o, try); len(els) > 0 {
		blocks = append(blocks, slack.NewActionBlock("party", els...))
	}
	blocks = append(blocks, requestLine(o.Request.ID))
	return message{Text: textOf(body), Blocks: blocks}
}

// outcomeButtons are the buttons an outcome offers.
func outcomeButtons(o conference.PartyOutcome, try int) []slack.BlockElement {
	switch {
	case o.Entry.Verb != conference.VerbCall:
		return nil
	case o.Outcome.Accepted():
		return memberButtons(o.Entry.ID, try, "")
	}
	return []slack.BlockElement{retryButton(o.Entry.ID, try, o.Outcome.Status == conference.StatusUnknown)}
}

// workingMessage replaces a pressed message while its request runs, with
// no buttons, so nobody presses twice.
func workingMessage(rn renderer, req conference.Request, a conference.Announcement, line string) message {
	who := rn.party(a.Parties[0])
	by := "<@" + req.By.User + ">"
	var doing string
	switch req.Kind {
	case conference.KindRetryEntry:
		doing = fmt.Sprintf(":arrows_counterclockwise: %s is retrying %s…", by, who)
	default:
		doing = fmt.Sprintf(":hourglass_flowing_sand: %s is asking Plivo to %s…", by, rn.doing(req.Verb, who))
	}
	if line == "" {
		return message{Text: textOf(doing), Blocks: []slack.Block{section(doing), requestLine(req.ID)}}
	}
	return message{Text: textOf(line + "\n" + doing), Blocks: []slack.Block{section(line), contextLine(doing), requestLine(req.ID)}}
}

// pressedMessage is a pressed message once its request is done: for a
// Retry, the new outcome; for Hold, Take off hold and Hang up, the
// original line with who did what and when, and the buttons that still
// make sense.
func pressedMessage(rn renderer, req conference.Request, o conference.PartyOutcome, line string, at time.Time, try int) message {
	by := "<@" + req.By.User + ">"
	if req.Kind == conference.KindRetryEntry {
		return outcomeMessage(rn, o, try).withContext("Retried by " + by)
	}
	state := rn.outcomeText(o)
	if o.Outcome.Accepted() {
		state = fmt.Sprintf("%s, by %s, %s", stateWord(o.Entry.Verb), by, clock(at))
	}
	if line == "" {
		line = state
		state = ""
	}
	blocks := []slack.Block{section(line)}
	text := line
	if state != "" {
		blocks = append(blocks, contextLine(state))
		text += "\n" + state
	}
	if !(o.Outcome.Accepted() && o.Entry.Verb == conference.VerbHangup) {
		blocks = append(blocks, slack.NewActionBlock("party", memberButtons(req.Of, try, "")...))
	}
	blocks = append(blocks, requestLine(req.ID))
	return message{Text: textOf(text), Blocks: blocks}
}

// stateWord is what an accepted member action leaves the party as.
func stateWord(v conference.Verb) string {
	switch v {
	case conference.VerbHold:
		return "On hold"
	case conference.VerbUnhold:
		return "Taken off hold"
	case conference.VerbHangup:
		return "Hung up"
	}
	return "Done"
}

// interruptedMessage says a request went no further, with a Retry for
// whom it did not reach.
func interruptedMessage(rn renderer, i conference.Interruption) message {
	why := interruptedWhy(i.Cause, "mpc-bot is restarting")
	v := verbOfKind(i.Request)
	var lines []string
	if len(i.NotSent) > 0 {
		names := make([]string, len(i.NotSent))
		for i2, t := range i.NotSent {
			names[i2] = rn.target(t)
		}
		lines = append(lines, fmt.Sprintf(":warning: %s; %s %s.", why, list(names), notDoneWord(v, len(names))))
	} else {
		lines = append(lines, fmt.Sprintf(":warning: %s.", why))
	}
	for _, e := range i.Sent {
		who := rn.party(conference.Party{User: e.ToUser, Address: mustAddress(e.To)})
		switch e.Status {
		case conference.StatusAccepted:
			lines = append(lines, fmt.Sprintf("• %s: Plivo accepted it (PHLO api_id `%s`).", who, escape(e.APIID)))
		default:
			lines = append(lines, fmt.Sprintf("• %s: the request may have reached Plivo, so the outcome is unknown: check the bridge before you try again.", who))
		}
	}
	body := strings.Join(lines, "\n")
	blocks := []slack.Block{section(body)}
	if len(i.NotSent) > 0 {
		btn := button(actionRetryRequest, "Retry", buttonValue{Request: i.Request.ID, Try: 1})
		btn.Style = slack.StylePrimary
		blocks = append(blocks, slack.NewActionBlock("interrupted", btn))
	}
	blocks = append(blocks, requestLine(i.Request.ID))
	return message{Text: textOf(body), Blocks: blocks}
}

// notDoneWord says what did not happen to the people not reached.
func notDoneWord(v conference.Verb, n int) string {
	was := "was"
	if n > 1 {
		was = "were"
	}
	switch v {
	case conference.VerbHold:
		return was + " not put on hold"
	case conference.VerbUnhold:
		return was + " not taken off hold"
	case conference.VerbHangup:
		return was + " not hung up"
	case conference.VerbWarmTransfer, conference.VerbColdTransfer:
		return was + " not transferred to"
	}
	return was + " not dialled"
}

// verbOfKind is the verb a request is about.
func verbOfKind(req conference.Request) conference.Verb {
	switch req.Kind {
	case conference.KindMember, conference.KindTransfer, conference.KindAct:
		return req.Verb
	case conference.KindAbortTransfer:
		return conference.VerbAbortTransfer
	}
	return conference.VerbCall
}

// privateOutcomeMessage is the whole story in one message, for when the
// bot cannot post in the channel or thread and answers privately instead.
func privateOutcomeMessage(announce message, lines []string, requestID string) message {
	body := strings.Join(lines, "\n")
	note := "I could not post this in the channel (invite me with `/invite @mpc-bot` to share results there), so only you see it."
	blocks := []slack.Block{}
	text := ""
	if len(announce.Blocks) > 0 {
		blocks = append(blocks, announce.Blocks[0])
		text = announce.Text + "\n"
	}
	blocks = append(blocks, section(body), contextLine(note+" request `"+requestID+"`"))
	return message{Text: text + textOf(body), Blocks: blocks}
}
