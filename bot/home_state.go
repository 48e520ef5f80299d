package bot

import (
	"context"
	"errors"

	"github.com/mpc-bot/mpc-bot/conference"
)

// homeRecent is how many of the person's own entries the Home tab lists.
const homeRecent = 10

// homeState is everything one person's Home tab shows, read at once. Each
// part carries its own error, so a slow profile does not hide the rest.
type homeState struct {
	// own is the person's number and where it comes from; ownErr says
	// why there is none (a *conference.CallerUnknownError) or why it
	// could not be looked up.
	own    conference.OwnNumber
	ownErr error
	// recent are their latest entries, newest first.
	recent    []conference.Entry
	recentErr error
	// used says which bridge each channel of their recent entries uses,
	// in the order they were last used there; only with many bridges.
	used []channelBridge
	// notice is a line at the top: what went wrong with a change made on
	// the tab.
	notice string
}

// channelBridge is the bridge a channel uses and why.
type channelBridge struct {
	place  conference.Place
	bridge conference.Bridge
	source conference.BindingSource
}

// homeStateOf reads who's Home tab: theirs alone, never anyone else's.
func (b *Bot) homeStateOf(ctx context.Context, who conference.Person) homeState {
	var st homeState
	log := b.log.With("user", who.User)
	st.own, st.ownErr = b.svc.Whoami(ctx, who)
	var cu *conference.CallerUnknownError
	if st.ownErr != nil && !errors.As(st.ownErr, &cu) {
		log.Error("Home tab: could not look up the person's number", "err", st.ownErr)
	}
	st.recent, st.recentErr = b.svc.Recent(ctx, who, homeRecent)
	if st.recentErr != nil {
		log.Error("Home tab: could not read the person's recent entries", "err", st.recentErr)
	}
	if !b.svc.Bridges().Many() {
		return st
	}
	seen := map[string]bool{}
	for _, e := range st.recent {
		if e.Place.Channel == "" || seen[e.Place.Channel] {
			continue
		}
		seen[e.Place.Channel] = true
		place := conference.Place{Team: e.Place.Team, Channel: e.Place.Channel}
		br, src, err := b.svc.BridgeFor(ctx, place, "")
		if err != nil {
			log.Warn("could not read a channel's bridge for the Home tab", "channel", place.Channel, "err", err)
			continue
		}
		st.used = append(st.used, channelBridge{place: place, bridge: br, source: src})
	}
	return st
}
