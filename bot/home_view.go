package bot

import (
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/mpc-bot/mpc-bot/conference"
)

// The Home tab's own IDs.
const (
	homeCallbackID     = "mpc_home"
	blockHomeNumber    = "home_number_actions"
	maxHomeBlocks      = 100  // Slack's cap on a view
	maxHomeBridges     = 20   // bridges listed one by one; the rest by name
	homeMaxText        = 2990 // Slack's cap is 3000; cut adds an ellipsis
	registerButtonText = "Register a number"
)

// homeView draws one person's Home tab: their own number (always masked:
// the tab may be on a shared screen), their recent adds and actions, the
// bridges and a short help.
func (b *Bot) homeView(st homeState) slack.HomeTabViewRequest {
	var blocks []slack.Block
	if st.notice != "" {
		blocks = append(blocks, section(st.notice))
	}
	blocks = append(blocks, b.homeNumber(st)...)
	blocks = append(blocks, slack.NewDividerBlock())
	blocks = append(blocks, b.homeRecent(st)...)
	blocks = append(blocks, slack.NewDividerBlock())
	blocks = append(blocks, b.homeBridges(st)...)
	blocks = append(blocks, slack.NewDividerBlock())
	blocks = append(blocks, b.homeHelp()...)
	if len(blocks) > maxHomeBlocks {
		blocks = append(blocks[:maxHomeBlocks-1], contextLine("There is more than the Home tab can show: `"+slashCommand+" help` lists every command."))
	}
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, CallbackID: homeCallbackID, Blocks: slack.Blocks{BlockSet: blocks}}
}

// homeHeader starts a part of the Home tab.
func homeHeader(text string) slack.Block {
	return slack.NewHeaderBlock(plain(text))
}

// homeNumber shows the person's own number and where it comes from, or
// how to get one, with the buttons that change it.
func (b *Bot) homeNumber(st homeState) []slack.Block {
	c := slashCommand
	var text string
	var cu *conference.CallerUnknownError
	var nr *conference.NotRecordedError
	switch {
	case st.ownErr == nil:
		text = fmt.Sprintf(":telephone_receiver: Calls you start come from *%s* (%s).", escape(st.own.Address.Masked()), homeSource(st.own.Source))
		if st.own.Extension != "" {
			text += " Its extension is not used: Plivo cannot send digits after a call is answered."
		}
	case errors.As(st.ownErr, &nr):
		text = ":warning: mpc-bot could not reach its database, so it cannot show your number right now. Open this tab again in a moment."
	case errors.As(st.ownErr, &cu):
		text = b.homeNoNumber(cu.NoAddressError)
	default:
		text = ":warning: Something went wrong while looking up your number. Open this tab again in a moment."
	}

	register := slack.NewButtonBlockElement(actionHomeRegister, "register", plain(registerButtonText))
	register.Style = slack.StylePrimary
	buttons := []slack.BlockElement{register}
	if st.ownErr == nil && st.own.Source == conference.FromRegistered {
		remove := slack.NewButtonBlockElement(actionHomeUnregister, "unregister", plain("Remove"))
		remove.Style = slack.StyleDanger
		remove.Confirm = slack.NewConfirmationBlockObject(plain("Remove your number?"),
			plain("Calls you start will then come from the number in the directory file or your Slack profile, if there is one."),
			plain("Remove"), plain("Keep it"))
		remove.Confirm.Style = slack.StyleDanger
		buttons = append(buttons, remove)
	}
	return []slack.Block{
		homeHeader("Your number"),
		section(text),
		slack.NewActionBlock(blockHomeNumber, buttons...),
		contextLine("The number you register comes first, then the directory file, then your Slack profile. It is Plivo's `trigger_source` for the calls you start. `" + c + " whoami` shows it too."),
	}
}

// homeNoNumber says why the person has no number of their own, and how
// to get one.
func (b *Bot) homeNoNumber(na *conference.NoAddressError) string {
	c := slashCommand
	switch {
	case na.External:
		return ":bust_in_silhouette: You are from another organisation (Slack Connect), so I cannot read your Slack profile, and Plivo needs your own number to place calls on your behalf (its `trigger_source`). " +
			"To take part, register your own number with *" + registerButtonText + "* below (or `" + c + " register +14155550100`), or ask someone from this workspace to add the people."
	case na.ProfileReason != "":
		return fmt.Sprintf(":bust_in_silhouette: The phone number in your Slack profile cannot be used: %s. Register a number below, or correct it in your profile (*Profile → Edit profile → Phone*).", escape(na.ProfileReason))
	case na.Err != nil:
		return fmt.Sprintf(":warning: I could not read your Slack profile (Slack said `%s`), so I do not know your number. Open this tab again in a moment, or register a number below.", escape(slackErrorCode(na.Err)))
	}
	return ":bust_in_silhouette: I don't know your phone number yet, and Plivo needs it to place calls on your behalf (its `trigger_source`). " +
		"Register one below, put it in your Slack profile (*Profile → Edit profile → Phone*), or ask an admin to add you to the directory file (`MPC_DIRECTORY`)."
}

// homeSource says where a person's own number came from, as the Home tab
// tells them.
func homeSource(s conference.AddressSource) string {
	switch s {
	case conference.FromRegistered:
		return "you registered it"
	case conference.FromDirectory:
		return "from the directory file"
	case conference.FromProfile:
		return "from your Slack profile"
	}
	return escape(string(s))
}

// homeRecent lists the person's own recent entries, as `history` would.
func (b *Bot) homeRecent(st homeState) []slack.Block {
	blocks := []slack.Block{homeHeader("Your recent adds and actions")}
	switch {
	case st.recentErr != nil:
		return append(blocks, section(":warning: mpc-bot could not read its database, so your recent adds cannot be shown right now. Open this tab again in a moment."))
	case len(st.recent) == 0:
		return append(blocks, section("Nothing yet. What you add or do with `"+slashCommand+"`, a mention or a message to me shows up here."))
	}
	rn := b.renderer()
	now := b.now()
	for _, e := range st.recent {
		blocks = append(blocks, section(cut("• "+when(e.Created)+" in "+homePlace(e.Place.Channel)+": "+rn.historyLine(e, now), homeMaxText)))
	}
	return blocks
}

// homePlace names a channel in mrkdwn; a direct message with the app has
// no useful name of its own.
func homePlace(channel string) string {
	if strings.HasPrefix(channel, "D") {
		return "your messages with me"
	}
	return "<#" + channel + ">"
}

// homeBridges says which bridges there are and which of the person's
// channels use which; with one bridge, one line.
func (b *Bot) homeBridges(st homeState) []slack.Block {
	c := slashCommand
	bridges := b.svc.Bridges()
	blocks := []slack.Block{homeHeader("Bridges")}
	if !bridges.Many() {
		line := "There is one bridge, so every channel adds people to the same conference call."
		if d := bridges.Default().Description; d != "" {
			line = fmt.Sprintf("There is one bridge (%s), so every channel adds people to the same conference call.", escape(d))
		}
		return append(blocks, section(line))
	}
	def := bridges.Default().Name
	all := bridges.All()
	for i, br := range all {
		if i == maxHomeBridges {
			var rest []string
			for _, more := range all[i:] {
				rest = append(rest, "`"+more.Name+"`")
			}
			blocks = append(blocks, section(cut("And "+strings.Join(rest, ", ")+". `"+c+" bridge` in a channel says more.", homeMaxText)))
			break
		}
		line := "*" + escape(br.Name) + "*"
		if br.Name == def {
			line += " (the default)"
		}
		if br.Description != "" {
			line += " — " + escape(br.Description)
		}
		if len(br.Channels) > 0 {
			names := make([]string, len(br.Channels))
			for j, ch := range br.Channels {
				names[j] = homePlace(ch)
			}
			line += "\nThe bridges file gives it " + list(names) + "."
		}
		blocks = append(blocks, section(cut(line, homeMaxText)))
	}
	if len(st.used) > 0 {
		lines := []string{"*Where you added people lately*"}
		for _, u := range st.used {
			lines = append(lines, fmt.Sprintf("• %s uses *%s* (%s)", homePlace(u.place.Channel), escape(u.bridge.Name), b.homeBindingReason(u.source)))
		}
		blocks = append(blocks, section(cut(strings.Join(lines, "\n"), homeMaxText)))
	}
	return append(blocks, contextLine("`"+c+" bridge <name>` in a channel binds it to a bridge, `"+c+" bridge none` removes the binding, and `on <name>` picks one for a single request."))
}

// homeBindingReason says in a few words why a channel uses its bridge.
func (b *Bot) homeBindingReason(src conference.BindingSource) string {
	switch src {
	case conference.BoundHere:
		return "bound there with `" + slashCommand + " bridge`"
	case conference.BoundByFile:
		return "the bridges file lists it"
	case conference.BoundByDefault:
		return "the default"
	}
	return escape(string(src))
}

// homeHelp is the help, with a word about the Messages tab.
func (b *Bot) homeHelp() []slack.Block {
	blocks := []slack.Block{homeHeader("How to use it")}
	for _, blk := range b.helpMessage().Blocks {
		blocks = append(blocks, homeCutBlock(blk))
	}
	return append(blocks, contextLine("You can also write these commands to me in the *Messages* tab, without `"+slashCommand+"`: `+14155550100`, `whoami`, `history`."))
}

// homeCutBlock keeps the text of a section or context block within Slack's
// cap: the help names every bridge with its description, which can be
// long.
func homeCutBlock(blk slack.Block) slack.Block {
	switch blk := blk.(type) {
	case *slack.SectionBlock:
		if blk.Text != nil {
			blk.Text.Text = cut(blk.Text.Text, homeMaxText)
		}
	case *slack.ContextBlock:
		for _, el := range blk.ContextElements.Elements {
			if t, ok := el.(*slack.TextBlockObject); ok {
				t.Text = cut(t.Text, homeMaxText)
			}
		}
	}
	return blk
}
