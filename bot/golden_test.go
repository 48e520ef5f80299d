package bot_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current output")

// volatile are the parts of a message that differ between runs: request
// IDs, PHLO api_ids, times, message timestamps, view IDs and hashes, and
// the fake Slack's port in response URLs. They
// are replaced by fixed words so a golden file pins everything else.
var volatile = []struct {
	pattern *regexp.Regexp
	with    string
}{
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "API-ID"},
	{regexp.MustCompile(`\b[0-9a-f]{12}\b`), "REQUEST"},
	{regexp.MustCompile(`<!date\^\d+\^([^|]*)\|[^>]*>`), "<!date^TIME^$1|TIME>"},
	{regexp.MustCompile(`\b1[0-9]{9}\.[0-9]{6}\b`), "TS"},
	{regexp.MustCompile(`\bV[0-9A-Z]{6,}\b`), "VIEW"},
	{regexp.MustCompile(`"hash":"[^"]*"`), `"hash":"HASH"`},
	{regexp.MustCompile(`\bi-[0-9a-f]{12}\b`), "INSTANCE"},
	{regexp.MustCompile(`http://127\.0\.0\.1:\d+`), "http://FAKE-SLACK"},
}

// golden compares what a person sees (a message's or view's JSON, as the
// bot sent it to the fake Slack) with testdata/name.golden.json, after
// replacing the volatile parts. Run `go test ./bot -run <Test> -update`
// to rewrite the files after an intended change, and read the diff.
func golden(t *testing.T, name string, raw []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", name, err, raw)
	}
	// Without HTML escaping, so the files show <@U…> and <!date^…> as
	// Slack receives them, and the patterns below can find them.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	pretty := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	for _, vol := range volatile {
		pretty = vol.pattern.ReplaceAll(pretty, []byte(vol.with))
	}
	pretty = append(pretty, '\n')
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, pretty, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./bot -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(pretty, want) {
		t.Errorf("%s differs from the golden file; if the change is intended, run with -update and read the diff.\ngot:\n%s", path, pretty)
	}
}

// messageJSON is a posted message as a person sees it: its fallback text
// and its blocks.
func messageJSON(text string, blocks json.RawMessage) []byte {
	if len(blocks) == 0 {
		blocks = json.RawMessage("null")
	}
	out, _ := json.Marshal(map[string]any{"text": text, "blocks": blocks})
	return out
}
