package bot

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/mpc-bot/mpc-bot/conference"
)

// maxRosterRows keeps a roster inside Slack's 50 blocks: two a row.
const maxRosterRows = 20

// rosterMessage shows whom a place pulled onto the call, each with the
// buttons of an outcome message. It says plainly that it is what mpc-bot
// did, not a live view: PHLO offers no member list. done, if set, is the
// result of the press that refreshed it.
func (b *Bot) rosterMessage(where conference.Place, rows []conference.RosterEntry, done string, try int) message {
	rn := b.renderer()
	scope := "this channel"
	if where.Thread != "" {
		scope = "this thread"
	}
	head := fmt.Sprintf("*Whom %s pulled onto the call in the last 12 hours*", scope)
	note := "This is what mpc-bot did and heard back from Plivo, not a live view of the call: PHLO cannot list who is on it, so someone who hung up by themselves still shows as dialled."
	blocks := []slack.Block{}
	text := head
	if done != "" {
		blocks = append(blocks, section(done))
		text = done + "\n" + text
	}
	if len(rows) == 0 {
		body := head + "\nNobody yet."
		blocks = append(blocks, section(body), contextLine(note))
		return message{Text: textOf(text + "\nNobody yet.\n" + note), Blocks: blocks}
	}
	blocks = append(blocks, section(head))
	shown := rows
	if len(shown) > maxRosterRows {
		shown = shown[len(shown)-maxRosterRows:]
	}
	for _, r := range shown {
		line := rn.rosterLine(r)
		blocks = append(blocks, section(line))
		text += "\n" + line
		if r.State != conference.PartyHungUp && r.State != conference.PartyDialFailed {
			blocks = append(blocks, slack.NewActionBlock("roster:"+r.Call.ID, memberButtons(r.Call.ID, try, where.Thread)...))
		}
	}
	if n := len(rows) - len(shown); n > 0 {
		note = fmt.Sprintf("%d earlier people are not shown; `%s history` lists everything. ", n, slashCommand) + note
	}
	blocks = append(blocks, contextLine(note))
	return message{Text: textOf(text + "\n" + note), Blocks: blocks}
}

// rosterLine is one party: who, role, who added them and when, and the
// last thing mpc-bot knows.
func (rn renderer) rosterLine(r conference.RosterEntry) string {
	state := string(r.State)
	if r.ChangedBy.User != "" && r.State != conference.PartyDialling && r.ChangedAt != r.AddedAt {
		state += ", by <@" + r.ChangedBy.User + "> " + clock(r.ChangedAt)
	}
	how := "added"
	if r.State == conference.PartyTransferredIn {
		how = "transferred in"
	}
	return fmt.Sprintf("%s as %s%s: *%s*\n%s by <@%s> %s", rn.party(r.Party), r.Role, rn.onBridge(r.Bridge), capitalise(state), capitalise(how), r.AddedBy.User, when(r.AddedAt))
}

// showRoster replaces a roster message (after a press on one of its
// lines) with a fresh one, whose buttons carry the next sequence.
func (b *Bot) showRoster(ctx context.Context, rt route, where conference.Place, done string) {
	fctx, cancel := finalContext(ctx)
	defer cancel()
	rows, err := b.svc.Roster(fctx, where)
	if err != nil {
		b.tellPrivately(fctx, rt.private(), simpleMessage(done))
		return
	}
	m := b.rosterMessage(where, rows, done, rt.Try+1)
	if rt.ResponseURL != "" {
		if err := b.postPrivately(fctx, rt.ResponseURL, m, true); err == nil {
			return
		}
	}
	b.tellPrivately(fctx, rt.private(), m)
}
