package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/mpc-bot/mpc-bot/conference"
)

// historyMessage lists a channel's recent entries, adds and actions
// alike, numbers always masked: the history is a record for many eyes, not
// a phone book. Reasons are the plain sentences the audit trail keeps.
func (b *Bot) historyMessage(entries []conference.Entry) message {
	if len(entries) == 0 {
		return simpleMessage("Nothing has been done in this channel yet.")
	}
	rn := b.renderer()
	lines := []string{"*Recent adds and actions in this channel*"}
	now := b.now()
	for _, e := range entries {
		lines = append(lines, "• "+when(e.Created)+" "+rn.historyLine(e, now))
	}
	return simpleMessage(strings.Join(lines, "\n"))
}

// historyLine is one entry in words.
func (rn renderer) historyLine(e conference.Entry, now time.Time) string {
	by := "<@" + e.By.User + ">"
	if e.Verb == conference.VerbBind {
		if e.Bridge == "" {
			return by + " unbound this channel from its bridge"
		}
		return by + " bound this channel to bridge *" + escape(e.Bridge) + "*"
	}
	if e.Status == conference.StatusDenied && e.To == "" && e.ToUser == "" {
		return by + " was refused: " + ruleSummary(e.Rule)
	}
	whom := rn.stored(e.To)
	if e.ToUser != "" {
		whom = "<@" + e.ToUser + ">"
	}
	var did string
	switch e.Verb {
	case conference.VerbHold:
		did = "put " + whom + " on hold"
	case conference.VerbUnhold:
		did = "took " + whom + " off hold"
	case conference.VerbHangup:
		did = "hung up " + whom
	case conference.VerbWarmTransfer:
		did = "warm-transferred their caller to " + whom
	case conference.VerbColdTransfer:
		did = "cold-transferred their caller to " + whom
	case conference.VerbAbortTransfer:
		did = "aborted their transfer"
	default:
		did = fmt.Sprintf("added %s as %s", whom, e.Role)
	}
	return by + " " + did + rn.onBridge(e.Bridge) + ": " + resultOf(e, now)
}

// resultOf is an entry's result in words.
func resultOf(e conference.Entry, now time.Time) string {
	detail := escape(cut(e.Detail, 160))
	switch e.Status {
	case conference.StatusAccepted:
		if e.APIID == "" {
			return "accepted (no api_id given)"
		}
		return "accepted, api_id `" + escape(e.APIID) + "`"
	case conference.StatusPending:
		if now.Sub(e.Created) > 2*time.Minute {
			return "outcome unknown (no answer was recorded; mpc-bot may have stopped)"
		}
		return "in progress"
	case conference.StatusDenied:
		return "refused: " + ruleSummary(e.Rule)
	case conference.StatusUnknown:
		return "outcome unknown: " + detail
	}
	return "failed: " + detail
}

// ruleSummary is a rule in a few plain words.
func ruleSummary(r conference.Rule) string {
	switch r {
	case conference.RuleChannel:
		return "mpc-bot is not enabled in this channel"
	case conference.RuleUser:
		return "not on the allow-list of people who may add"
	case conference.RuleGroupsCheck:
		return "the allow-list's user groups could not be read"
	case conference.RulePremiumRate:
		return "a premium-rate number, never dialled"
	case conference.RuleDestination:
		return "a destination `MPC_ALLOWED_DESTINATIONS` does not allow"
	case conference.RuleNotOnRoster:
		return "not added here"
	}
	return "by rule `" + string(r) + "`"
}
