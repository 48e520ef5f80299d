package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/mpc-bot/mpc-bot/conference"
)

// helpMessage lists every command, with examples.
func (b *Bot) helpMessage() message {
	c := slashCommand
	code := func(s string) string { return "`" + c + s + "`" }
	body := fmt.Sprintf(`*%[1]s* pulls people onto the team's Plivo conference call, and steers them once they are on.
• %[2]s — dial a number, as an agent
• %[3]s — dial a number as a customer
• %[4]s — dial a SIP endpoint
• %[5]s — dial teammates or a user group at the numbers the directory or their Slack profiles give
• %[6]s — open a form (pick people, add a note)
• %[7]s — put someone you added here on hold, take them off hold, or hang up on them
• %[8]s — hand your caller over to someone (warm: you talk first; add %[9]s to connect them straight away)
• %[10]s — abort the transfer you started
• %[11]s — who this channel pulled onto the call in the last 12 hours, with buttons
• %[12]s — this channel's recent adds and actions
• %[13]s — which bridge this channel uses (%[14]s sets it)
• %[15]s — your own number: register, show, remove
In a thread, use the message shortcut *Add to call*, or mention me: %[16]s.`,
		c, code(" +14155550100"), code(" +1 (415) 555-0100 customer"), code(" sip:alice@example.sip.plivo.com"),
		code(" @alice @bob @oncall-dbs [agent|customer]"), code(""), code(" hold|unhold|hangup @bob"),
		code(" transfer @dana"), "`cold`", code(" abort-transfer"), code(" roster"), code(" history"),
		code(" bridge"), code(" bridge <name>"), code(" register +14155550100 | whoami | unregister"),
		"`@mpc-bot add @alice`")
	note := fmt.Sprintf("Numbers without a country code are read as %s numbers. Plivo places each call on behalf of your own number (registered, from the directory file, or from your Slack profile). At most %d people per request, and %d dials a minute each.", b.region, conference.MaxPeople, b.svc.DialsPerMinute())
	if br := b.svc.Bridges(); br.Many() {
		// Names only: descriptions of many bridges would outgrow Slack's
		// 3000 characters a block; `bridge` shows them.
		note += " Name a bridge with `on <bridge>`: " + cut(strings.Join(br.Names(), ", "), 1500) + " (`" + c + " bridge` describes them)."
	}
	return message{Text: textOf(body), Blocks: []slack.Block{section(body), contextLine(note)}}
}

func usageMessage(err *UsageError) message { return simpleMessage(":warning: " + err.Message) }

func busyMessage(queued int) message {
	return simpleMessage(fmt.Sprintf(":hourglass: mpc-bot already has %d requests waiting, so it did not take this one and nothing was dialled. Try again in a minute.", queued))
}

func queuedMessage(position int) message {
	return simpleMessage(fmt.Sprintf(":hourglass_flowing_sand: Queued: yours is number %d in line, and Plivo will be called as soon as an earlier request is under way.", position))
}

func restartingMessage() message {
	return simpleMessage(":warning: mpc-bot is restarting, so it did not take this and nothing was dialled. Try again in a moment.")
}

func notRecordedMessage() message {
	return simpleMessage(":warning: mpc-bot cannot record this request in its database right now, so it will not act on it and nothing was dialled. Try again in a minute; if it keeps happening, tell an admin.")
}

func databaseDownMessage() message {
	return simpleMessage(":warning: mpc-bot could not reach its database, so nothing was done. Try again in a moment.")
}

func unknownCommandMessage(command string) message {
	return simpleMessage(fmt.Sprintf(":warning: mpc-bot does not handle %s.", quote(command)))
}

func rateQueuedMessage(w conference.Wait) message {
	return simpleMessage(fmt.Sprintf(":hourglass_flowing_sand: You have dialled many people lately (the limit is %d a minute), so this request waits %s and then goes out. Nothing was dropped.", w.PerMinute, w.Delay.Round(time.Second)))
}

func registeredMessage(shown, droppedExtension string) message {
	m := fmt.Sprintf(":white_check_mark: Registered: calls you start with `/mpc-add` now come from *%s*. `/mpc-add whoami` shows it, `/mpc-add unregister` removes it.", escape(shown))
	if droppedExtension != "" {
		m += fmt.Sprintf(" The extension (%s) is not used: Plivo cannot send digits after a call is answered.", escape(droppedExtension))
	}
	return simpleMessage(m)
}

func unregisteredMessage(existed bool) message {
	if !existed {
		return simpleMessage("You had no registered number. `/mpc-add whoami` shows which number is used.")
	}
	return simpleMessage(":wastebasket: Your registered number is removed. `/mpc-add whoami` shows which number is used now.")
}

// sourceText says where a person's own number came from.
func sourceText(s conference.AddressSource) string {
	switch s {
	case conference.FromRegistered:
		return "registered with `/mpc-add register`"
	case conference.FromDirectory:
		return "from the directory file"
	case conference.FromProfile:
		return "from your Slack profile"
	}
	return string(s)
}

func whoamiMessage(n conference.OwnNumber) message {
	m := fmt.Sprintf(":bust_in_silhouette: Calls you start come from *%s* (%s). Precedence: `/mpc-add register`, then the directory file, then your Slack profile.", escape(n.Address.Masked()), sourceText(n.Source))
	if n.Extension != "" {
		m += " Its extension is not used: Plivo cannot send digits after a call is answered."
	}
	return simpleMessage(m)
}
