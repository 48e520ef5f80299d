package phlo

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func validConfig() Config {
	return Config{AuthID: "id", AuthToken: "token"}
}

func TestNewDefaults(t *testing.T) {
	c, err := New(validConfig())
	if err != nil {
		t.Fatal(err)
	}
	if c.base != DefaultBaseURL || c.timeout != DefaultTimeout || c.maxAttempts != DefaultMaxAttempts ||
		c.maxRetryWait != DefaultMaxRetryWait || c.numbers != NumberE164 {
		t.Errorf("defaults not applied: %+v", c)
	}
	if c.hc == nil || c.hc == http.DefaultClient || c.hc.Transport == nil || c.hc.Transport == http.DefaultTransport {
		t.Error("default HTTP client shares state with net/http defaults")
	}
	if c.pacer == nil || c.pacer.Budget() != (Budget{Requests: 300, Per: 5 * time.Second}) {
		t.Errorf("default pacer not set: %+v", c.pacer)
	}
	other, _ := New(validConfig())
	if other.pacer == c.pacer {
		t.Error("default pacers are shared between clients")
	}
	p, _ := NewPacer(Budget{Requests: 10, Per: time.Second})
	cfg := validConfig()
	cfg.Pacer = p
	if c, _ := New(cfg); c.pacer != p {
		t.Error("Config.Pacer ignored")
	}
}

func TestNewBaseURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://phlorunner.plivo.com/":   "https://phlorunner.plivo.com",
		"http://127.0.0.1:8080":           "http://127.0.0.1:8080",
		"https://proxy.example/plivo/":    "https://proxy.example/plivo",
		"https://proxy.example/a%20b/x//": "https://proxy.example/a%20b/x",
	} {
		cfg := validConfig()
		cfg.BaseURL = in
		c, err := New(cfg)
		if err != nil {
			t.Errorf("New(%q): %v", in, err)
			continue
		}
		if c.base != want {
			t.Errorf("base(%q) = %q, want %q", in, c.base, want)
		}
	}
	for _, in := range []string{
		"phlorunner.plivo.com", "ftp://h", "https://", "https://h/v1", "https://h/v1/",
		"https://h?x=1", "https://h#f", "https://u:p@h", "http://h/%zz", "::",
	} {
		cfg := validConfig()
		cfg.BaseURL = in
		if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "BaseURL") {
			t.Errorf("New(%q) err = %v", in, err)
		}
	}
}

func TestNewValidation(t *testing.T) {
	_, err := New(Config{})
	if err == nil || !strings.Contains(err.Error(), "missing AuthID, AuthToken") {
		t.Errorf("err = %v", err)
	}
	cfg := validConfig()
	cfg.Timeout = -1
	cfg.MaxAttempts = -1
	cfg.MaxRetryWait = -time.Second
	cfg.NumberFormat = "E.164"
	_, err = New(cfg)
	for _, want := range []string{"negative Timeout", "negative MaxAttempts", "negative MaxRetryWait", `NumberFormat must be "e164" or "digits"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to mention %q", err, want)
		}
	}
	for _, f := range []NumberFormat{NumberE164, NumberDigits, ""} {
		cfg := validConfig()
		cfg.NumberFormat = f
		if _, err := New(cfg); err != nil {
			t.Errorf("NumberFormat %q rejected: %v", f, err)
		}
	}
}

func TestNodePath(t *testing.T) {
	n := Node{PhloID: "a/b", NodeID: "c d"}
	if want := "/v1/phlo/a%2Fb/multi_party_call/c%20d"; n.path() != want {
		t.Errorf("path = %q, want %q", n.path(), want)
	}
	if want := "/v1/phlo/a%2Fb"; n.phloPath() != want {
		t.Errorf("phloPath = %q, want %q", n.phloPath(), want)
	}
}

func TestNumberFormatApply(t *testing.T) {
	cases := []struct{ in, e164, digits string }{
		{"+14155550100", "+14155550100", "14155550100"},
		{"14155550100", "+14155550100", "14155550100"},
		{"sip:alice@phone.plivo.com", "sip:alice@phone.plivo.com", "sip:alice@phone.plivo.com"},
		{"sip:14155550100@phone.plivo.com", "sip:14155550100@phone.plivo.com", "sip:14155550100@phone.plivo.com"},
		{"+", "+", "+"},
		{"++1", "++1", "++1"},
		{"+1 415", "+1 415", "+1 415"},
		{"alice", "alice", "alice"},
	}
	for _, tc := range cases {
		if got := NumberE164.apply(tc.in); got != tc.e164 {
			t.Errorf("e164(%q) = %q, want %q", tc.in, got, tc.e164)
		}
		if got := NumberDigits.apply(tc.in); got != tc.digits {
			t.Errorf("digits(%q) = %q, want %q", tc.in, got, tc.digits)
		}
	}
}
