package bridges

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mpc-bot/mpc-bot/conference"
)

func def() conference.Bridge {
	return conference.Bridge{Name: conference.DefaultBridge, PhloID: "phlo-default", NodeID: "node-default"}
}

func TestParse(t *testing.T) {
	b, err := Parse([]byte(`
bridges:
  dbs:
    phlo_id: "0f4cfa5a-0000-4000-8000-000000000001"
    node_id: "8e1d3b2c-0000-4000-8000-000000000002"
    description: "Database incidents"
    channels: [C0123ABCD, G0456EFGH]
  net-2:
    phlo_id: " 0f4cfa5a-0000-4000-8000-000000000003 "
    node_id: 8e1d3b2c-0000-4000-8000-000000000004
`), def())
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Names(); !slices.Equal(got, []string{"dbs", "default", "net-2"}) {
		t.Errorf("Names = %v", got)
	}
	if b.Default().PhloID != "phlo-default" {
		t.Errorf("Default = %+v", b.Default())
	}
	dbs, ok := b.Get("dbs")
	if !ok || dbs.PhloID != "0f4cfa5a-0000-4000-8000-000000000001" || dbs.NodeID != "8e1d3b2c-0000-4000-8000-000000000002" ||
		dbs.Description != "Database incidents" || !slices.Equal(dbs.Channels, []string{"C0123ABCD", "G0456EFGH"}) {
		t.Errorf("dbs = %+v, %v", dbs, ok)
	}
	if net, _ := b.Get("net-2"); net.PhloID != "0f4cfa5a-0000-4000-8000-000000000003" || len(net.Channels) != 0 {
		t.Errorf("net-2 = %+v", net)
	}
	if br, ok := b.ForChannel("G0456EFGH"); !ok || br.Name != "dbs" {
		t.Errorf("ForChannel = %+v, %v", br, ok)
	}
}

func TestParseEmpty(t *testing.T) {
	for _, doc := range []string{"", "# nothing yet\n", "bridges:\n", "bridges: {}\n"} {
		d := def()
		d.Name = "" // named for the caller
		b, err := Parse([]byte(doc), d)
		if err != nil {
			t.Errorf("Parse(%q): %v", doc, err)
			continue
		}
		if b.Many() || b.Default().Name != conference.DefaultBridge {
			t.Errorf("Parse(%q) = %v", doc, b.Names())
		}
	}
}

func TestParseReportsEveryBadEntry(t *testing.T) {
	_, err := Parse([]byte(`
bridges:
  default:
    phlo_id: p
    node_id: n
  none:
    phlo_id: p
    node_id: n
  DBS:
    phlo_id: p
    node_id: n
  nophlo:
    node_id: "secret-node-1"
  nonode:
    phlo_id: "secret-phlo-1"
    node_id: ""
  numbers:
    phlo_id: 12345
    node_id: n
  typo:
    phlo_id: p
    node_id: n
    chanels: [C0123ABCD]
    desc: x
  badchannels:
    phlo_id: p
    node_id: n
    channels: [general, U0123ABCD, C0AAA, C0AAA, 42]
  first:
    phlo_id: p
    node_id: n
    channels: [C0SHARED]
  second:
    phlo_id: p
    node_id: n
    channels: [C0SHARED, C0TAKEN]
  notamap: "sip:x@example.com"
  empty:
`), conference.Bridge{Name: conference.DefaultBridge, PhloID: "p", NodeID: "n", Channels: []string{"C0TAKEN"}})
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	want := []string{
		`"DBS" is not a bridge name`,
		`"default" is taken`,
		`"none" cannot name a bridge`,
		`badchannels: "U0123ABCD" is not a Slack channel ID`,
		`badchannels: "general" is not a Slack channel ID`,
		"badchannels: channel C0AAA is listed twice",
		"badchannels: channels must hold only channel IDs",
		"empty: node_id is missing",
		"empty: phlo_id is missing",
		"nonode: node_id is missing",
		"nophlo: phlo_id is missing",
		"notamap: must be a map",
		"numbers: phlo_id must be a quoted string",
		"second: channel C0SHARED is already first's",
		"second: channel C0TAKEN is already default's",
		`typo: unknown key "chanels"`,
		`typo: unknown key "desc"`,
	}
	if !strings.HasPrefix(msg, "bad bridges: ") {
		t.Errorf("error %q does not start with \"bad bridges: \"", msg)
	}
	parts := strings.Split(strings.TrimPrefix(msg, "bad bridges: "), "; ")
	if len(parts) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(parts), len(want), strings.Join(parts, "\n"))
	}
	if !slices.IsSorted(parts) {
		t.Errorf("problems not sorted: %q", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not mention %q", msg, w)
		}
	}
	for _, leak := range []string{"secret-node-1", "secret-phlo-1", "12345", "sip:"} {
		if strings.Contains(msg, leak) {
			t.Errorf("error repeats %q: %q", leak, msg)
		}
	}
	if strings.Contains(msg, "numbers: phlo_id is missing") {
		t.Errorf("a mistyped phlo_id is also reported missing: %q", msg)
	}
}

func TestParseRejectsMalformed(t *testing.T) {
	for _, doc := range []string{
		"bridges: [a, b]",
		"channels:\n  dbs:\n    phlo_id: p\n    node_id: n",
		"bridges:\n  dbs: {phlo_id: p, node_id: n}\n  dbs: {phlo_id: q, node_id: m}",
		"bridges:\n  dbs:\n    phlo_id: p\n    phlo_id: q\n    node_id: n",
		"bridges: {",
		"ids: &ids {phlo_id: p, node_id: n}\nbridges:\n  dbs: *ids",
		"bridges:\n  dbs: &x {phlo_id: p, node_id: n}\n  net: *x",
		"bridges:\n  dbs:\n    <<: *x\n",
	} {
		if _, err := Parse([]byte(doc), def()); err == nil {
			t.Errorf("Parse(%q) succeeded", doc)
		}
	}
	// A few lines of nested aliases must be refused before they expand.
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i, prev := range []string{"b", "c", "d", "e", "f", "g", "h", "i", "j"} {
		name := string(rune('a' + i))
		bomb += prev + ": &" + prev + " [" + strings.Repeat("*"+name+", ", 9) + "*" + name + "]\n"
	}
	if _, err := Parse([]byte(bomb), def()); err == nil || !strings.Contains(err.Error(), "aliases") {
		t.Errorf("alias bomb: %v", err)
	}
}

func TestParseChecksDefault(t *testing.T) {
	_, err := Parse([]byte("bridges:\n  dbs: {phlo_id: p, node_id: n}\n"), conference.Bridge{Name: conference.DefaultBridge})
	if err == nil || !strings.Contains(err.Error(), "default: phlo_id is missing") {
		t.Errorf("default without IDs: %v", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bridges.yaml")
	if err := os.WriteFile(path, []byte("bridges:\n  dbs:\n    phlo_id: p\n    node_id: n\n    channels: [C0123ABCD]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := Load(path, def())
	if err != nil {
		t.Fatal(err)
	}
	if br, ok := b.ForChannel("C0123ABCD"); !ok || br.Name != "dbs" {
		t.Fatalf("ForChannel = %+v, %v", br, ok)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml"), def()); err == nil {
		t.Error("Load of a missing file succeeded")
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, make([]byte, maxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big, def()); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Load of an oversized file: %v", err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("bridges:\n  none: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad, def()); err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "bad bridges") {
		t.Errorf("Load of a bad file: %v", err)
	}
}
