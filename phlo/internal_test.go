package phlo

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{" 7 ", 7 * time.Second, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{"99999999999999999999", 0, false}, // overflows int64: unparsable
		{"9223372036854775807", time.Duration(1<<63-1) / time.Second * time.Second, true},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
	}
	for _, tc := range cases {
		got, ok := parseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestBackoff(t *testing.T) {
	for n := 1; n <= 10; n++ {
		step := min(baseBackoff<<(n-1), 20*time.Second)
		for range 50 {
			d := backoff(n, 20*time.Second)
			if d < step/2 || d > step {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", n, d, step/2, step)
			}
		}
	}
	if d := backoff(5, time.Millisecond); d > time.Millisecond {
		t.Errorf("backoff not capped: %v", d)
	}
	if d := backoff(1000, time.Hour); d > time.Hour {
		t.Errorf("backoff overflowed: %v", d)
	}
}

func TestExcerpt(t *testing.T) {
	if got := excerpt([]byte("  a\n\tb  ")); got != "a b" {
		t.Errorf("excerpt = %q", got)
	}
	long := strings.Repeat("€", 100) // 300 bytes
	got := excerpt([]byte(long))
	if len(got) > maxMessage || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
		t.Errorf("excerpt(long) = %d bytes %q", len(got), got)
	}
}

func TestRedactor(t *testing.T) {
	r := newRedactor("MAID0000000000000001", "tok", "+14155550100", "sip:bob@phone.plivo.com", "", "x")
	in := "a +14155550100 b 14155550100 c %2B14155550100 d sip:bob@phone.plivo.com e bob@phone.plivo.com f MAID0000000000000001 tok x"
	want := "a *** b *** c *** d *** e *** f *** tok x" // short values are left alone
	if got := r.String(in); got != want {
		t.Errorf("redacted = %q\nwant       %q", got, want)
	}
	base := errors.New("dial +14155550100 failed")
	err := r.Error(base)
	if err.Error() != "dial *** failed" || !errors.Is(err, base) {
		t.Errorf("Error() = %v", err)
	}
	if clean := errors.New("clean"); r.Error(clean) != clean {
		t.Error("clean errors should not be wrapped")
	}
	if (redactor{}).String("x") != "x" {
		t.Error("empty redactor changed text")
	}
}
