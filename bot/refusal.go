package bot

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/mpc-bot/mpc-bot/conference"
)

// refusalMessage explains why nothing was done, in the person's terms:
// each refusal names the rule, and the target it refused.
func (b *Bot) refusalMessage(err error) message {
	rn := b.renderer()
	var (
		d    *conference.Denial
		cu   *conference.CallerUnknownError
		nd   *conference.NobodyToDialError
		tm   *conference.TooManyPeopleError
		le   *conference.LimitError
		ub   *conference.UnknownBridgeError
		nr   *conference.NotRecordedError
		full *conference.QueueFullError
	)
	switch {
	case errors.As(err, &cu):
		return callerUnknownMessage(cu.NoAddressError)
	case errors.As(err, &nd):
		if len(nd.Unreachable) == 0 {
			return simpleMessage(":bust_in_silhouette: That names nobody I can act on, so nothing was done.")
		}
		return simpleMessage(":bust_in_silhouette: Nothing was done: " + rn.unreachableList(nd.Unreachable) + ".")
	case errors.As(err, &d):
		return simpleMessage(":no_entry: " + rn.denial(d))
	case errors.As(err, &tm):
		return simpleMessage(fmt.Sprintf(":warning: That is %d people once user groups are counted; one request dials at most %d. Nothing was dialled: name fewer people, or split the request.", tm.Count, conference.MaxPeople))
	case errors.As(err, &le):
		return simpleMessage(fmt.Sprintf(":hourglass: You have dialled many people lately (the limit is %d a minute), so nothing was dialled. Try again in %s.", le.PerMinute, le.Wait.Round(time.Second)))
	case errors.As(err, &ub):
		return simpleMessage(fmt.Sprintf(":warning: There is no bridge called %s, so nothing was done. The bridges are: %s.", quote(ub.Name), cut(b.bridgeList(), 2500)))
	case errors.As(err, &full):
		return busyMessage(full.Waiting)
	case errors.As(err, &nr):
		b.log.Error("request failed: database", "err", err)
		return databaseDownMessage()
	case errors.Is(err, conference.ErrNotFound):
		return simpleMessage(":warning: I no longer have the request this refers to, so nothing was done. Start a new `" + slashCommand + "`.")
	}
	b.log.Error("request failed", "err", err)
	return simpleMessage(":warning: Something went wrong inside mpc-bot, so nothing was done. Try again in a moment; an admin can find the details in the log.")
}

// denial explains one rule's refusal in a sentence.
func (rn renderer) denial(d *conference.Denial) string {
	switch d.Rule {
	case conference.RuleChannel:
		return "mpc-bot is not enabled in this channel. An admin can add it to `MPC_ALLOWED_CHANNELS`."
	case conference.RuleUser:
		var who []string
		for _, a := range d.Allowed {
			switch a {
			case conference.AllowedUsers:
				who = append(who, "the users in `MPC_ALLOWED_USERS`")
			case conference.AllowedGroups:
				who = append(who, "members of the user groups in `MPC_ALLOWED_USERGROUPS`")
			}
		}
		return "You may not do this: only " + list(who) + " may. Ask an admin."
	case conference.RuleGroupsCheck:
		return "I could not check whether you may do this (Slack did not tell me who is in the allowed user groups: `" + escape(slackErrorCode(errors.Unwrap(d))) + "`), so nothing was done. Try again in a moment."
	case conference.RulePremiumRate:
		return rn.target(d.Target) + " is a premium-rate number, which mpc-bot never dials or uses."
	case conference.RuleDestination:
		return rn.target(d.Target) + " is not allowed here by `MPC_ALLOWED_DESTINATIONS` (allowed: " + strings.Join(d.Allowed, ", ") + ")."
	}
	return "refused by the rule `" + string(d.Rule) + "`."
}

// unreachableList names each target that was left out and why, each
// naming the rule or the missing piece: "@carol: no number …; +1•••0123:
// a premium-rate number …".
func (rn renderer) unreachableList(us []conference.Unreachable) string {
	s := make([]string, len(us))
	for i, u := range us {
		s[i] = rn.target(u.Target) + ": " + rn.whyUnreachable(u)
	}
	return strings.Join(s, "; ")
}

// whyUnreachable says why one target cannot be dialled or acted on.
func (rn renderer) whyUnreachable(u conference.Unreachable) string {
	var (
		na  *conference.NoAddressError
		ext *conference.ExtensionError
		d   *conference.Denial
		nor *conference.NotOnRosterError
	)
	switch err := u.Err; {
	case errors.As(err, &na) && na.External:
		return "they are from another organisation, so I cannot read their profile; they can register their own number with `" + slashCommand + " register`, or you can give their number instead"
	case errors.As(err, &na) && na.ProfileReason != "":
		return "the phone number in their Slack profile cannot be used: " + escape(na.ProfileReason)
	case errors.As(err, &na) && na.Err != nil:
		return "I could not read their Slack profile: Slack said `" + escape(slackErrorCode(na.Err)) + "`"
	case errors.As(err, &na):
		return "no number registered, in the directory file or in their Slack profile"
	case errors.As(err, &ext) && u.Target.User != "":
		// A person's own number is theirs to show, not the bot's.
		return fmt.Sprintf("their number has an extension (%s), which Plivo cannot dial: it sends no digits after the call is answered. They can register a direct number with `%s register`, or you can give one instead", escape(ext.Extension), slashCommand)
	case errors.As(err, &ext):
		return fmt.Sprintf("the number has an extension (%s), which Plivo cannot dial: it sends no digits after the call is answered. Give a direct number, or the main number %s without the extension", escape(ext.Extension), rn.number(ext.Main))
	case errors.As(err, &d) && d.Rule == conference.RulePremiumRate:
		return "a premium-rate number, which mpc-bot never dials"
	case errors.As(err, &d) && d.Rule == conference.RuleDestination:
		return "not allowed by `MPC_ALLOWED_DESTINATIONS` (allowed: " + strings.Join(d.Allowed, ", ") + ")"
	case errors.As(err, &d):
		return rn.denial(d)
	case errors.As(err, &nor):
		return "not added here in the last 12 hours, so there is no call member to act on"
	case errors.Is(err, conference.ErrEmptyGroup):
		return "the group has no members"
	}
	return "I could not read the group's members: Slack said `" + escape(slackErrorCode(u.Err)) + "`"
}

// callerUnknownMessage explains why the caller's own number is unknown,
// and how to fix it.
func callerUnknownMessage(na *conference.NoAddressError) message {
	var why string
	switch {
	case na.External:
		why = "You are in this channel from another organisation (Slack Connect), so I cannot read your Slack profile, and Plivo needs your own number to place the call on your behalf (its `trigger_source`)."
		fix := "To take part, register your number with `/mpc-add register +14155550100` (your own number, with its country code), or ask someone from this workspace to add the people. Nothing was dialled."
		return message{Text: textOf(why + " " + fix), Blocks: []slack.Block{section(":bust_in_silhouette: " + why), section(fix)}}
	case na.Err != nil:
		return simpleMessage(fmt.Sprintf(":warning: I could not read your Slack profile (Slack said `%s`), so I do not know your own number and nothing was dialled. Try again in a moment, or register it with `/mpc-add register +14155550100`.", escape(slackErrorCode(na.Err))))
	case na.ProfileReason != "":
		why = fmt.Sprintf("The phone number in your Slack profile cannot be used: %s. Plivo needs your own number to place the call on your behalf (its `trigger_source`).", escape(na.ProfileReason))
	default:
		why = "I don't know your own phone number, which Plivo needs to place the call on your behalf (its `trigger_source`)."
	}
	fix := fmt.Sprintf("To fix it, register it with `/mpc-add register +14155550100` (your own number, with its country code), or put it in your Slack profile (*Profile → Edit profile → Phone*), or ask an admin to add this line under `users:` in the directory file (`MPC_DIRECTORY`): `%s: \"+1…\"`. Nothing was dialled.", na.User)
	return message{Text: textOf(why + " " + fix), Blocks: []slack.Block{section(":bust_in_silhouette: " + why), section(fix)}}
}

// reason explains an outcome that was not simply accepted, with advice.
func (rn renderer) reason(o conference.Outcome, v conference.Verb) string {
	status := ""
	if o.HTTPStatus != 0 {
		status = fmt.Sprintf(" (HTTP %d)", o.HTTPStatus)
	}
	said := ""
	if o.Plivo != "" {
		said = " Plivo said: _" + escape(strings.ReplaceAll(o.Plivo, "_", " ")) + "_"
	}
	nothing := "nothing was dialled"
	if v != conference.VerbCall {
		nothing = "nothing was done"
	}
	check := "check the bridge before you try again."
	switch o.Cause {
	case conference.CauseCredentials:
		return fmt.Sprintf("Plivo rejected mpc-bot's credentials%s, so %s. An admin needs to check `PLIVO_AUTH_ID` and `PLIVO_AUTH_TOKEN`.", status, nothing)
	case conference.CauseForbidden:
		return fmt.Sprintf("Plivo refused%s: PHLO is not enabled on this account, or the account is not verified. So %s.%s", status, nothing, said)
	case conference.CauseNotFound:
		return fmt.Sprintf("Plivo does not know this PHLO or its Multi-Party Call node, or the PHLO is not deployed%s, so %s. An admin needs to check `PHLO_ID` and `PHLO_NODE_ID` (or the bridges file).", status, nothing)
	case conference.CauseNotOnCall:
		return fmt.Sprintf("Plivo has no such member on the call%s: they have probably hung up already. So %s.%s", status, nothing, said)
	case conference.CauseRateLimited:
		return fmt.Sprintf("Plivo is rate-limiting this account%s and still was after %d tries, so %s. Try again in a minute.", status, o.Attempts, nothing)
	case conference.CauseRejected:
		return fmt.Sprintf("Plivo refused the request as invalid%s, so %s.%s", status, nothing, said)
	case conference.CauseUnreachable:
		return fmt.Sprintf("mpc-bot could not reach Plivo, so %s. Try again in a moment; if it keeps failing, an admin should check the bot's network access to Plivo.", nothing)
	case conference.CauseBusy:
		return fmt.Sprintf("its turn did not come in time (Plivo allows a few hundred requests every 5 s, and mpc-bot was busy), so %s. Try again in a minute.", nothing)
	case conference.CauseShutdown:
		return fmt.Sprintf("mpc-bot is restarting, so %s. Try again in a moment.", nothing)
	case conference.CauseNotRecorded:
		return fmt.Sprintf("mpc-bot could not record the request in its database, so %s. Try again in a moment.", nothing)
	case conference.CauseServerError:
		return fmt.Sprintf("Plivo had an internal error%s. It may or may not have acted: %s%s", status, check, said)
	case conference.CauseTimeout:
		return "Plivo did not answer in time. It may still act: " + check
	case conference.CauseConnectionCut:
		return "the connection to Plivo broke after the request was sent. It may or may not have acted: " + check
	case conference.CauseStopped:
		return "mpc-bot stopped before Plivo answered. It may or may not have acted: " + check
	}
	if o.Status == conference.StatusFailed {
		return fmt.Sprintf("Plivo refused the request%s, so %s.%s", status, nothing, said)
	}
	return "mpc-bot got an answer from Plivo it did not understand" + status + ". " + capitalise(check) + said
}
