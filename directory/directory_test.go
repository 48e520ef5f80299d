package directory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	d, err := Parse([]byte(`
users:
  U0123ABCD: "+1 (415) 555-0100"
  U0456EFGH: "sip:alice@example.sip.plivo.com"
  W0789IJKL: "020 7946 0000"
  U0999WXYZ: "+1 415 555 0100 ext. 123"
`), "GB")
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{
		"U0123ABCD": "+14155550100",
		"U0456EFGH": "sip:alice@example.sip.plivo.com",
		"W0789IJKL": "+442079460000",
	} {
		if a, ok := d.Lookup(id); !ok || a.String() != want {
			t.Errorf("Lookup(%s) = %q, %v; want %q", id, a, ok, want)
		}
	}
	if a, _ := d.Lookup("U0999WXYZ"); a.String() != "+14155550100" || a.Extension() != "123" {
		t.Errorf("Lookup(U0999WXYZ) = %q extension %q; want +14155550100 extension 123", a, a.Extension())
	}
	if _, ok := d.Lookup("U999"); ok {
		t.Error("Lookup of an unknown user succeeded")
	}
	if d.Len() != 4 {
		t.Errorf("Len = %d", d.Len())
	}
}

func TestParseReportsEveryBadEntry(t *testing.T) {
	_, err := Parse([]byte(`
users:
  U0123ABCD: "+1415"
  alice: "+14155550100"
  U0456EFGH: +14155550100
  U0789IJKL: "sip:nohost"
`), "US")
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{"U0123ABCD: too short", `"alice" is not a Slack user ID`, "U0456EFGH: value must be a quoted string", "U0789IJKL:"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	if strings.Contains(msg, "14155550100") {
		t.Errorf("error leaks a number: %q", msg)
	}
}

func TestParseRejectsMalformed(t *testing.T) {
	for _, doc := range []string{
		"users: [a, b]",
		"people:\n  U0123ABCD: \"+14155550100\"",
		"users:\n  U0123ABCD: \"+14155550100\"\n  U0123ABCD: \"+14155550101\"",
		"users: {",
	} {
		if _, err := Parse([]byte(doc), "US"); err == nil {
			t.Errorf("Parse(%q) succeeded", doc)
		}
	}
}

func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dir.yaml")
	if err := os.WriteFile(path, []byte("users:\n  U0123ABCD: \"+14155550100\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := Load(path, "US")
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := d.Lookup("U0123ABCD"); !ok || a.String() != "+14155550100" {
		t.Fatalf("Lookup = %q, %v", a, ok)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml"), "US"); err == nil {
		t.Fatal("Load of a missing file succeeded")
	}
	empty := filepath.Join(t.TempDir(), "empty.yaml")
	os.WriteFile(empty, nil, 0o600)
	if d, err := Load(empty, "US"); err != nil || d.Len() != 0 {
		t.Fatalf("empty file: %v, %d", err, d.Len())
	}
}

func TestNilDirectory(t *testing.T) {
	var d *Directory
	if _, ok := d.Lookup("U0123ABCD"); ok || d.Len() != 0 {
		t.Fatal("nil Directory knows someone")
	}
}
