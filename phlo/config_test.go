package phlo

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func validConfig() Config {
	return Config{AuthID: "id", AuthToken: "token", PhloID: "p", NodeID: "n"}
}

func TestNewDefaults(t *testing.T) {
	c, err := New(validConfig())
	if err != nil {
		t.Fatal(err)
	}
	if c.base != DefaultBaseURL || c.timeout != DefaultTimeout || c.maxAttempts != DefaultMaxAttempts ||
		c.maxRetryWait != DefaultMaxRetryWait {
		t.Errorf("defaults not applied: %+v", c)
	}
	if c.hc == nil || c.hc == http.DefaultClient || c.hc.Transport == nil || c.hc.Transport == http.DefaultTransport {
		t.Error("default HTTP client shares state with net/http defaults")
	}
	if c.limiter == nil || c.limiter.Limit() != DefaultLimit || c.limiter.Burst() != DefaultBurst {
		t.Error("default limiter not set")
	}
	// Worst case in any 5 s window must stay within Plivo's 300.
	if worst := float64(DefaultBurst) + float64(DefaultLimit)*5; worst > 300 {
		t.Errorf("default limiter allows %v requests per 5 s", worst)
	}
	if want := "/v1/phlo/p/multi_party_call/n"; c.nodePath != want {
		t.Errorf("nodePath = %q", c.nodePath)
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
	if err == nil || !strings.Contains(err.Error(), "missing AuthID, AuthToken, PhloID, NodeID") {
		t.Errorf("err = %v", err)
	}
	cfg := validConfig()
	cfg.PhloID = ".."
	cfg.Timeout = -1
	cfg.MaxAttempts = -1
	cfg.MaxRetryWait = -time.Second
	cfg.Limiter = rate.NewLimiter(1, 0)
	_, err = New(cfg)
	for _, want := range []string{"PhloID must not be a dot segment", "negative Timeout", "negative MaxAttempts", "negative MaxRetryWait", "burst < 1"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to mention %q", err, want)
		}
	}
	cfg = validConfig()
	cfg.Limiter = rate.NewLimiter(rate.Inf, 0)
	if _, err := New(cfg); err != nil {
		t.Errorf("unlimited limiter rejected: %v", err)
	}
}

func TestNodePathEscaping(t *testing.T) {
	cfg := validConfig()
	cfg.PhloID, cfg.NodeID = "a/b", "c d"
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := "/v1/phlo/a%2Fb/multi_party_call/c%20d"; c.nodePath != want {
		t.Errorf("nodePath = %q, want %q", c.nodePath, want)
	}
}
