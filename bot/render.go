package bot

import (
	"fmt"
	"time"

	"github.com/mpc-bot/mpc-bot/address"
	"github.com/mpc-bot/mpc-bot/conference"
)

// renderer holds what every message needs to show things the same way:
// whether numbers are shown whole, and the bridges.
type renderer struct {
	show    bool
	bridges *conference.Bridges
}

func (b *Bot) renderer() renderer {
	return renderer{show: b.show, bridges: b.svc.Bridges()}
}

// number shows an address as a channel may: masked unless the settings
// say numbers may be shown.
func (rn renderer) number(a address.Address) string {
	if rn.show {
		return "*" + escape(a.String()) + "*"
	}
	return "*" + escape(a.Masked()) + "*"
}

// party shows a party: a mention for a person, the number otherwise.
func (rn renderer) party(p conference.Party) string {
	if p.User != "" {
		return "<@" + p.User + ">"
	}
	return rn.number(p.Address)
}

// target shows a target as the request named it.
func (rn renderer) target(t conference.Target) string {
	switch {
	case t.User != "":
		return "<@" + t.User + ">"
	case t.Group != "":
		return "<!subteam^" + t.Group + ">"
	case !t.Address.IsZero():
		return rn.number(t.Address)
	}
	return "someone"
}

// stored shows an address the audit trail kept: always masked, since the
// record is read by many eyes, later.
func (rn renderer) stored(s string) string {
	if a, err := address.Parse(s, ""); err == nil {
		return "*" + escape(a.Masked()) + "*"
	}
	return "•••"
}

// onBridge names the bridge when there is more than one: " on *dbs*".
func (rn renderer) onBridge(name string) string {
	if rn.bridges == nil || !rn.bridges.Many() || name == "" {
		return ""
	}
	return " on *" + escape(name) + "*"
}

// when shows a time in each reader's own time zone, with a UTC fallback.
func when(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

// clock shows a time of day the same way.
func clock(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{time}|%s>", t.Unix(), t.UTC().Format("15:04 UTC"))
}

// mustAddress reads an address the audit trail kept; one that no longer
// parses shows as masked dots.
func mustAddress(s string) address.Address {
	a, _ := address.Parse(s, "")
	return a
}
