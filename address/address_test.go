package address

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in, region string
		want       string
		kind       Kind
	}{
		{"+14155550100", "US", "+14155550100", Phone},
		{"+1 (415) 555-0100", "US", "+14155550100", Phone},
		{"+1.415.555.0100", "", "+14155550100", Phone},
		{"415 555 0100", "US", "+14155550100", Phone},
		{"020 7946 0000", "GB", "+442079460000", Phone},
		{"tel:+14155550100", "US", "+14155550100", Phone},
		{"+1\u00a0415\u00a0555\u00a00100", "US", "+14155550100", Phone},
		{"sip:alice@example.sip.plivo.com", "US", "sip:alice@example.sip.plivo.com", SIP},
		{"SIP:alice@Phone.Plivo.com", "US", "sip:alice@phone.plivo.com", SIP},
		{"sip:bob.smith-2@10.0.0.1:5060", "US", "sip:bob.smith-2@10.0.0.1:5060", SIP},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, tt.region)
		if err != nil {
			t.Errorf("Parse(%q, %q): %v", tt.in, tt.region, err)
			continue
		}
		if got.String() != tt.want || got.Kind() != tt.kind {
			t.Errorf("Parse(%q, %q) = %q kind %d, want %q kind %d", tt.in, tt.region, got, got.Kind(), tt.want, tt.kind)
		}
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		in, region, reason string
	}{
		{"", "US", "no phone number"},
		{"   ", "US", "no phone number"},
		{"+1415555", "US", "too short"},
		{"+14155550100 please", "US", `'p' is not allowed`},
		{"+1 415 555 0100 ext 12", "US", `'e' is not allowed`},
		{"6505550100", "", "needs a country code"},
		{"+999123456789", "US", "country code"},
		{"+1 555 555 5555", "US", "not a valid number"},
		{"911", "US", "emergency number"},
		{"+1 911", "US", "emergency number"},
		{"112", "GB", "emergency number"},
		{"+44 999", "US", "emergency number"},
		{"alice", "US", `'a' is not allowed`},
		{"sip:", "US", "needs a user and a host"},
		{"sip:@example.com", "US", "needs a user and a host"},
		{"sip:alice@localhost", "US", "host"},
		{"sip:alice@example.com;transport=tls", "US", "parameters"},
		{"sip:al ice@example.com", "US", "not allowed"},
		{"sip:alice@example.com:99999", "US", "port"},
		{"sips:alice@example.com", "US", "sips:"},
		{strings.Repeat("1", 300), "US", "longer than"},
		{"\xff\xfe", "US", "not valid text"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in, tt.region)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q): err = %v, want *ParseError", tt.in, err)
			continue
		}
		if !strings.Contains(pe.Reason, tt.reason) {
			t.Errorf("Parse(%q): reason %q, want it to mention %q", tt.in, pe.Reason, tt.reason)
		}
		if len(tt.in) > 4 && strings.Contains(pe.Error(), tt.in) {
			t.Errorf("Parse(%q): error repeats the input: %q", tt.in, pe.Error())
		}
	}
}

func TestMasked(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+14155550100", "+1415•••0100"},
		{"+442079460000", "+4420•••0000"},
		{"+3225551212", "+32•••12"},
		{"sip:alice@phone.plivo.com", "sip:al•••@phone.plivo.com"},
		{"sip:a@phone.plivo.com", "sip:•••@phone.plivo.com"},
	}
	for _, tt := range tests {
		a, err := Parse(tt.in, "US")
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		if got := a.Masked(); got != tt.want {
			t.Errorf("Masked(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if (Address{}).Masked() != "" {
		t.Error("zero Address masks to non-empty")
	}
}

func TestLogValueMasks(t *testing.T) {
	a, _ := Parse("+14155550100", "US")
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("add", "to", a)
	if strings.Contains(buf.String(), "5550100") || !strings.Contains(buf.String(), "+1415•••0100") {
		t.Fatalf("log line not masked: %s", buf.String())
	}
}

func TestValidRegion(t *testing.T) {
	if !ValidRegion("us") || !ValidRegion("GB") || ValidRegion("XX") || ValidRegion("") {
		t.Fatal("ValidRegion disagrees with phonenumbers' metadata")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"+14155550100", "+1 (415) 555-0100", "sip:alice@example.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s, "US")
		if err != nil {
			return
		}
		again, err := Parse(a.String(), "US")
		if err != nil || again != a {
			t.Fatalf("normal form %q of %q does not parse to itself: %v", a, s, err)
		}
		if a.Masked() == a.String() {
			t.Fatalf("Masked(%q) hides nothing", a)
		}
	})
}

func TestPremiumRateAndPrefixes(t *testing.T) {
	premium, err := Parse("+1 900 555 0100", "US")
	if err != nil {
		t.Fatal(err)
	}
	if !premium.PremiumRate() {
		t.Error("+1 900 is not flagged premium-rate")
	}
	plain, _ := Parse("+14155550100", "US")
	if plain.PremiumRate() {
		t.Error("+1 415 is flagged premium-rate")
	}
	sip, _ := Parse("sip:alice@phone.plivo.com:5060", "US")
	for _, tt := range []struct {
		a      Address
		prefix string
		want   bool
	}{
		{plain, "+1", true}, {plain, "+1415", true}, {plain, "+44", false}, {plain, "1", false},
		{sip, "plivo.com", true}, {sip, "sip:phone.plivo.com", true}, {sip, "livo.com", false}, {sip, "+1", false},
	} {
		if got := tt.a.HasPrefix(tt.prefix); got != tt.want {
			t.Errorf("%s.HasPrefix(%q) = %v", tt.a, tt.prefix, got)
		}
	}
}
