package conference

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// DefaultBridge names the bridge PHLO_ID and PHLO_NODE_ID describe.
const DefaultBridge = "default"

// NoBridge is the word that removes a channel's binding; no bridge may
// take it as its name.
const NoBridge = "none"

// bridgeName is what a bridge may be called: a word people can type after
// "on" in a command.
var bridgeName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// ValidBridgeName reports whether s can name a bridge.
func ValidBridgeName(s string) bool { return bridgeName.MatchString(s) && s != NoBridge }

// Bridge is one PHLO Multi-Party Call node that people are pulled onto.
// Member actions and transfers go to the bridge a party was added through,
// since a member exists only on the call that dialled them.
type Bridge struct {
	Name        string
	PhloID      string
	NodeID      string
	Description string
	// Channels use this bridge unless a binding or the request names
	// another.
	Channels []string
}

// Bridges is the fixed set of bridges a deployment knows, one of them the
// default.
type Bridges struct {
	byName    map[string]Bridge
	names     []string
	def       string
	byChannel map[string]string
}

// NewBridges checks the set: names unique and valid, PHLO and node IDs
// present, no channel claimed by two bridges. def is the default bridge.
// Every problem is named at once.
func NewBridges(def Bridge, more ...Bridge) (*Bridges, error) {
	b := &Bridges{byName: map[string]Bridge{}, def: def.Name, byChannel: map[string]string{}}
	var bad []string
	for _, br := range append([]Bridge{def}, more...) {
		switch {
		case !ValidBridgeName(br.Name):
			bad = append(bad, fmt.Sprintf("%q is not a bridge name (lower-case letters, digits, - and _, at most 32, not %q)", br.Name, NoBridge))
			continue
		case b.byName[br.Name].Name != "":
			bad = append(bad, fmt.Sprintf("%s: named twice", br.Name))
			continue
		}
		if strings.TrimSpace(br.PhloID) == "" {
			bad = append(bad, br.Name+": phlo_id is missing")
		}
		if strings.TrimSpace(br.NodeID) == "" {
			bad = append(bad, br.Name+": node_id is missing")
		}
		for _, ch := range br.Channels {
			if other, ok := b.byChannel[ch]; ok {
				bad = append(bad, fmt.Sprintf("%s: channel %s is already %s's", br.Name, ch, other))
				continue
			}
			b.byChannel[ch] = br.Name
		}
		br.Channels = slices.Clone(br.Channels)
		b.byName[br.Name] = br
		b.names = append(b.names, br.Name)
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return nil, fmt.Errorf("bad bridges: %s", strings.Join(bad, "; "))
	}
	sort.Strings(b.names)
	return b, nil
}

// Get returns the bridge called name.
func (b *Bridges) Get(name string) (Bridge, bool) {
	br, ok := b.byName[name]
	return br, ok
}

// Default is the bridge used where nothing else is said.
func (b *Bridges) Default() Bridge { return b.byName[b.def] }

// Names lists the bridges' names, sorted.
func (b *Bridges) Names() []string { return slices.Clone(b.names) }

// All lists the bridges, sorted by name.
func (b *Bridges) All() []Bridge {
	out := make([]Bridge, len(b.names))
	for i, n := range b.names {
		out[i] = b.byName[n]
	}
	return out
}

// Many reports whether there is more than one bridge, in which case
// messages name the bridge.
func (b *Bridges) Many() bool { return len(b.names) > 1 }

// ForChannel returns the bridge the bridges file gives channel, if any.
func (b *Bridges) ForChannel(channel string) (Bridge, bool) {
	n, ok := b.byChannel[channel]
	if !ok {
		return Bridge{}, false
	}
	return b.byName[n], true
}

// UnknownBridgeError says a request named a bridge that does not exist.
type UnknownBridgeError struct {
	Name  string
	Known []string
}

// Error leaves out Name, which is what a person typed (it may be a phone
// number typed in the wrong place) and would reach the log.
func (e *UnknownBridgeError) Error() string {
	return fmt.Sprintf("conference: no such bridge (bridges: %s)", strings.Join(e.Known, ", "))
}

// BindingSource says why a place uses the bridge it uses.
type BindingSource string

// Where a place's bridge comes from, most specific first.
const (
	BoundHere      BindingSource = "bound"   // /mpc-add bridge <name> in this channel
	BoundByFile    BindingSource = "file"    // the bridges file lists the channel
	BoundByDefault BindingSource = "default" // nothing else applies
	NamedInRequest BindingSource = "request" // the request named it
)
