package bot

import (
	"fmt"
	"strings"

	"github.com/mpc-bot/mpc-bot/conference"
)

// bridgeMessage says which bridge a channel uses and why, and lists the
// others.
func (b *Bot) bridgeMessage(br conference.Bridge, src conference.BindingSource, changed bool) message {
	why := map[conference.BindingSource]string{
		conference.BoundHere:      "bound here with `" + slashCommand + " bridge`",
		conference.BoundByFile:    "the bridges file lists this channel",
		conference.BoundByDefault: "the default",
	}[src]
	lead := "This channel uses"
	if changed {
		lead = ":white_check_mark: This channel now uses"
	}
	m := fmt.Sprintf("%s the bridge *%s* (%s).", lead, escape(br.Name), why)
	if br.Description != "" {
		m += " " + escape(br.Description) + "."
	}
	if b.svc.Bridges().Many() {
		m += fmt.Sprintf(" Bridges: %s. `%s bridge <name>` binds this channel to one, `%s bridge none` removes the binding; `on <name>` picks one for a single request.", cut(b.bridgeList(), 2000), slashCommand, slashCommand)
	} else {
		m += " It is the only bridge."
	}
	return simpleMessage(m)
}

// bridgeList names every bridge with its description.
func (b *Bot) bridgeList() string {
	var s []string
	for _, br := range b.svc.Bridges().All() {
		item := "`" + br.Name + "`"
		if br.Description != "" {
			item += " (" + escape(br.Description) + ")"
		}
		s = append(s, item)
	}
	return strings.Join(s, ", ")
}
