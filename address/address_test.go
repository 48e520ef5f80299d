package address

import (
	"bytes"
	"encoding/json"
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
		{"+1 415 555 0100 ext 12 please", "US", `'e' is not allowed`},
		{"+1 415 555 0100 x", "US", `'x' is not allowed`},
		{"+1 415 555 0100,,12", "US", `',' is not allowed`},
		{"+1 415 555 0100;ext=12", "US", `';' is not allowed`},
		{"+1 415 555 0100 ~12", "US", `'~' is not allowed`},
		{"+1 415 555 0100 - 503#", "US", `'#' is not allowed`},
		{"+1 415 555 0100 int 12", "US", `'i' is not allowed`},
		{"+1 415 555 0100 x12#", "US", `'x' is not allowed`},
		{"+1 415 555 0100 x ١٢", "US", "digits 0 to 9"},
		{"911 x12", "US", "emergency number"},
		{"415 555 0100 415 555 0101", "US", "too long"},
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

func TestParseExtension(t *testing.T) {
	for _, in := range []string{
		"+1 415-555-0100 x123",
		"+1 415 555 0100 X 123",
		"+1 415 555 0100 ext. 123",
		"+1 415 555 0100 ext 123",
		"+1 415 555 0100 Ext: 123",
		"+1 415 555 0100 extn 123",
		"+1 415 555 0100 extension 123",
		"+1 415 555 0100 #123",
		"+14155550100x123",
		"415 555 0100 x123",
		"tel:+14155550100 x123",
	} {
		a, err := Parse(in, "US")
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if a.String() != "+14155550100" || a.Extension() != "123" || a.Kind() != Phone {
			t.Errorf("Parse(%q) = %q extension %q, want +14155550100 extension 123", in, a, a.Extension())
		}
	}
	a, _ := Parse("+14155550100", "US")
	if a.Extension() != "" {
		t.Errorf("extension %q of a number without one", a.Extension())
	}
}

func TestTooLong(t *testing.T) {
	for _, in := range []string{"415 555 0100 415 555 0101", "+1 415 555 0100 415 555 0101", "+4420794600001234"} {
		_, err := Parse(in, "US")
		var pe *ParseError
		if !errors.As(err, &pe) || !pe.TooLong {
			t.Errorf("Parse(%q): %v, want TooLong", in, err)
		}
	}
	for _, in := range []string{"+1415555", "alice", strings.Repeat("1", 300)} {
		_, err := Parse(in, "US")
		var pe *ParseError
		if !errors.As(err, &pe) || pe.TooLong {
			t.Errorf("Parse(%q): %#v, want a ParseError without TooLong", in, err)
		}
	}
}

func TestText(t *testing.T) {
	type row struct {
		To   Address `json:"to,omitzero"`
		From Address `json:"from,omitzero"`
	}
	to, _ := Parse("+1 (415) 555-0100 ext. 12", "US")
	from, _ := Parse("SIP:alice@Example.com", "US")
	for _, tt := range []struct {
		in   row
		want string
	}{
		{row{}, `{}`},
		{row{To: to}, `{"to":"+14155550100;ext=12"}`},
		{row{To: from, From: mustParse(t, "+442079460000")}, `{"to":"sip:alice@example.com","from":"+442079460000"}`},
	} {
		b, err := json.Marshal(tt.in)
		if err != nil || string(b) != tt.want {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tt.in, b, err, tt.want)
			continue
		}
		var back row
		if err := json.Unmarshal(b, &back); err != nil || back != tt.in {
			t.Errorf("Unmarshal(%s) = %v, %v; want %v", b, back, err, tt.in)
		}
	}
	var a Address
	if err := a.UnmarshalText(nil); err != nil || !a.IsZero() {
		t.Errorf("empty text: %v, %q", err, a)
	}
	for _, in := range []string{"4155550100", "415 555 0100", "+14155550100;ext=", "+14155550100;ext=1a", "+14155550100 x1;ext=2", "alice", "sip:alice@example.com;ext=1"} {
		a := mustParse(t, "+442079460000")
		err := a.UnmarshalText([]byte(in))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("UnmarshalText(%q): %v, want *ParseError", in, err)
		}
	}
}

func mustParse(t *testing.T, s string) Address {
	t.Helper()
	a, err := Parse(s, "")
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return a
}

func TestMasked(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+14155550100", "+1•••0100"},
		{"+1 415 555 0100 x123", "+1•••0100"},
		{"+442079460000", "+44•••0000"},
		{"+3225551212", "+32•••212"},
		{"+80012345678", "+800•••78"},
		{"+290 22123", "+290•••3"},
		{"+683 4002", "+683•••"},
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
	if strings.Contains(buf.String(), "5550100") || !strings.Contains(buf.String(), "+1•••0100") {
		t.Fatalf("log line not masked: %s", buf.String())
	}
}

func TestValidRegion(t *testing.T) {
	if !ValidRegion("us") || !ValidRegion("GB") || ValidRegion("XX") || ValidRegion("") {
		t.Fatal("ValidRegion disagrees with phonenumbers' metadata")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"+14155550100", "+1 (415) 555-0100", "sip:alice@example.com", "+1 415 555 0100 ext. 12", "+683 4002"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s, "US")
		if err != nil {
			return
		}
		again, err := Parse(a.String(), "US")
		if err != nil || again.String() != a.String() || again.Extension() != "" {
			t.Fatalf("normal form %q of %q does not parse to itself: %v", a, s, err)
		}
		text, _ := a.MarshalText()
		var back Address
		if err := back.UnmarshalText(text); err != nil || back != a {
			t.Fatalf("text %q of %q does not read back: %v", text, s, err)
		}
		if a.Masked() == a.String() {
			t.Fatalf("Masked(%q) hides nothing", a)
		}
		if a.Kind() == Phone {
			digits := strings.Count(a.String(), "") - 2
			shown := strings.Count(strings.ReplaceAll(a.Masked(), maskDots, ""), "") - 2
			if 2*shown > digits {
				t.Fatalf("Masked(%q) = %q shows more than half the digits", a, a.Masked())
			}
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

// BenchmarkParsePhone is the cost of reading one typed number, which a
// burst of commands pays per command before it is acknowledged.
func BenchmarkParsePhone(b *testing.B) {
	for _, tc := range []struct{ name, in, region string }{
		{"nanp", "+12125560001", ""},
		{"national", "020 7946 0000", "GB"},
		{"extension", "+1 415 555 0100 ext. 12", ""},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := ParsePhone(tc.in, tc.region); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
