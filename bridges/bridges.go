// Package bridges reads the YAML file named by MPC_BRIDGES, which lists the
// Multi-Party Call bridges a deployment has besides the default one that
// PHLO_ID and PHLO_NODE_ID describe:
//
//	bridges:
//	  dbs:
//	    phlo_id: "0f4cfa5a-…"
//	    node_id: "8e1d3b2c-…"
//	    description: "Database incidents"
//	    channels: [C0123ABCD, C0456EFGH]
//
// Each key under "bridges" names a bridge, the word people type to pick
// it: up to 32 lower-case letters, digits, "-" and "_", starting with a
// letter or digit. "default" (the bridge PHLO_ID describes) and "none"
// (which unbinds a channel) are taken. phlo_id and node_id are required;
// description and channels are optional. channels lists the Slack channel
// IDs (C…, G…, D…) that use the bridge unless told otherwise, and a
// channel belongs to at most one bridge. Nothing else is allowed: other
// keys, and YAML anchors and aliases, are refused. An empty file, or no
// "bridges" key, means the default bridge only.
//
// The file is a public contract: keep the format stable.
package bridges

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/mpc-bot/mpc-bot/conference"
)

// maxFileSize bounds what Load reads; thousands of bridges fit.
const maxFileSize = 1 << 20

// channelIDPattern matches Slack channel IDs: C… public, G… private, D…
// direct messages.
var channelIDPattern = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)

// entryKeys lists, for messages, the keys a bridge may have.
const entryKeys = "phlo_id, node_id, description and channels"

// file is the on-disk shape. Entries stay untyped so that every bad one,
// and every unknown key, can be named at once rather than the first.
type file struct {
	Bridges map[string]any `yaml:"bridges"`
}

// Load reads and checks the file at path; see Parse.
func Load(path string, def conference.Bridge) (*conference.Bridges, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bridges: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("bridges: %w", err)
	}
	if fi.Size() > maxFileSize {
		return nil, fmt.Errorf("bridges: %s is larger than %d bytes", path, maxFileSize)
	}
	data := make([]byte, fi.Size())
	if _, err := f.ReadAt(data, 0); err != nil && fi.Size() > 0 {
		return nil, fmt.Errorf("bridges: read %s: %w", path, err)
	}
	b, err := Parse(data, def)
	if err != nil {
		return nil, fmt.Errorf("bridges %s: %w", path, err)
	}
	return b, nil
}

// Parse checks a bridges document and returns its bridges together with
// def, the default bridge (PHLO_ID, PHLO_NODE_ID), named
// conference.DefaultBridge if its Name is empty. Every bad entry is named
// in one error, sorted, by bridge name; PHLO and node IDs are never
// repeated in it.
func Parse(data []byte, def conference.Bridge) (*conference.Bridges, error) {
	if def.Name == "" {
		def.Name = conference.DefaultBridge
	}
	const want = `want a top-level "bridges:" map of bridge name to ` + entryKeys
	if err := refuseAliases(data); err != nil {
		return nil, fmt.Errorf("not a valid bridges file (%s): %s", want, firstLine(err.Error()))
	}
	var doc file
	if err := yaml.UnmarshalWithOptions(data, &doc, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("not a valid bridges file (%s): %s", want, firstLine(err.Error()))
	}
	names := make([]string, 0, len(doc.Bridges))
	for name := range doc.Bridges {
		names = append(names, name)
	}
	sort.Strings(names)

	var problems []string
	var more []conference.Bridge
	owner := map[string]string{} // channel ID → the bridge that lists it
	for _, ch := range def.Channels {
		owner[ch] = def.Name
	}
	for _, name := range names {
		switch {
		case name == conference.DefaultBridge:
			problems = append(problems, fmt.Sprintf("%q is taken by the bridge PHLO_ID and PHLO_NODE_ID describe", name))
			continue
		case name == conference.NoBridge:
			problems = append(problems, fmt.Sprintf("%q cannot name a bridge: it unbinds a channel", name))
			continue
		case !conference.ValidBridgeName(name):
			problems = append(problems, fmt.Sprintf("%q is not a bridge name (up to 32 lower-case letters, digits, - and _)", name))
			continue
		}
		br, bad := parseEntry(name, doc.Bridges[name])
		problems = append(problems, bad...)
		for _, ch := range br.Channels {
			switch other, taken := owner[ch]; {
			case taken && other == name:
				problems = append(problems, fmt.Sprintf("%s: channel %s is listed twice", name, ch))
			case taken:
				problems = append(problems, fmt.Sprintf("%s: channel %s is already %s's", name, ch, other))
			default:
				owner[ch] = name
			}
		}
		more = append(more, br)
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, errors.New("bad bridges: " + strings.Join(problems, "; "))
	}
	return conference.NewBridges(def, more...)
}

// parseEntry reads one bridge's map and says everything wrong with it.
func parseEntry(name string, v any) (conference.Bridge, []string) {
	br := conference.Bridge{Name: name}
	var bad []string
	complain := func(format string, args ...any) {
		bad = append(bad, name+": "+fmt.Sprintf(format, args...))
	}
	fields, ok := v.(map[string]any)
	if v != nil && !ok {
		complain("must be a map of %s", entryKeys)
		return br, bad
	}
	text := func(key string) (string, bool) {
		val, present := fields[key]
		if !present || val == nil {
			return "", true
		}
		s, ok := val.(string)
		if !ok {
			complain("%s must be a quoted string", key)
		}
		return strings.TrimSpace(s), ok
	}
	var phloOK, nodeOK bool
	br.PhloID, phloOK = text("phlo_id")
	br.NodeID, nodeOK = text("node_id")
	br.Description, _ = text("description")
	if phloOK && br.PhloID == "" {
		complain("phlo_id is missing")
	}
	if nodeOK && br.NodeID == "" {
		complain("node_id is missing")
	}
	if list, present := fields["channels"]; present && list != nil {
		items, ok := list.([]any)
		if !ok {
			complain("channels must be a list of channel IDs, like [C0123ABCD]")
		}
		notText := false
		for _, item := range items {
			switch ch, ok := item.(string); {
			case !ok:
				notText = true
			case !channelIDPattern.MatchString(ch):
				complain("%q is not a Slack channel ID (like C0123ABCD)", ch)
			default:
				br.Channels = append(br.Channels, ch)
			}
		}
		if notText {
			complain("channels must hold only channel IDs, like C0123ABCD")
		}
	}
	for key := range fields {
		switch key {
		case "phlo_id", "node_id", "description", "channels":
		default:
			complain("unknown key %q (a bridge has %s)", key, entryKeys)
		}
	}
	return br, bad
}

// refuseAliases rejects anchors' aliases before decoding: a few lines of
// nested aliases expand to gigabytes, and a list of bridges needs none.
func refuseAliases(data []byte) error {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return err
	}
	var found aliasFinder
	for _, doc := range f.Docs {
		ast.Walk(&found, doc)
	}
	if found {
		return errors.New("YAML aliases (*name) are not supported")
	}
	return nil
}

// aliasFinder is an ast.Visitor that becomes true at the first alias.
type aliasFinder bool

func (f *aliasFinder) Visit(n ast.Node) ast.Visitor {
	if _, ok := n.(*ast.AliasNode); ok {
		*f = true
		return nil
	}
	return f
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
