package bot

import (
	"errors"
	"strings"
	"testing"

	"github.com/mpc-bot/mpc-bot/phlo"
)

func TestParseCommandAdd(t *testing.T) {
	tests := []struct {
		text   string
		to     string
		toUser string
		role   phlo.Role
	}{
		{"+14155550100", "+14155550100", "", phlo.RoleAgent},
		{"+14155550100 agent", "+14155550100", "", phlo.RoleAgent},
		{"+14155550100 customer", "+14155550100", "", phlo.RoleCustomer},
		{"  +14155550100   CUSTOMER  ", "+14155550100", "", phlo.RoleCustomer},
		{"+1 (415) 555-0100 customer", "+14155550100", "", phlo.RoleCustomer},
		{"415 555 0100", "+14155550100", "", phlo.RoleAgent},
		{"<tel:+14155550100|+1 415 555 0100> customer", "+14155550100", "", phlo.RoleCustomer},
		{"sip:alice@example.sip.plivo.com", "sip:alice@example.sip.plivo.com", "", phlo.RoleAgent},
		{"sip:alice@example.sip.plivo.com customer", "sip:alice@example.sip.plivo.com", "", phlo.RoleCustomer},
		{"<@U0123ABCD|alice>", "", "U0123ABCD", phlo.RoleAgent},
		{"<@U0123ABCD> customer", "", "U0123ABCD", phlo.RoleCustomer},
	}
	for _, tt := range tests {
		cmd, err := ParseCommand(tt.text, "US")
		if err != nil {
			t.Errorf("ParseCommand(%q): %v", tt.text, err)
			continue
		}
		if cmd.Kind != CommandAdd || cmd.To.String() != tt.to || cmd.ToUser != tt.toUser || cmd.Role != tt.role {
			t.Errorf("ParseCommand(%q) = %+v (to %q), want to %q user %q role %s", tt.text, cmd, cmd.To, tt.to, tt.toUser, tt.role)
		}
	}
}

func TestParseCommandHelp(t *testing.T) {
	for _, text := range []string{"", "   ", "help", "HELP"} {
		cmd, err := ParseCommand(text, "US")
		if err != nil || cmd.Kind != CommandHelp {
			t.Errorf("ParseCommand(%q) = %+v, %v; want help", text, cmd, err)
		}
	}
}

func TestParseCommandRejects(t *testing.T) {
	tests := []struct{ text, want string }{
		{"+1415", "`+1415` is not a number or SIP address I can dial: too short"},
		{"+14155550100 manager", "`manager` is not a role"},
		{"+14155550100 agent now", "I did not expect `agent now`"},
		{"+14155550100 agent customer", "I did not expect `agent customer`"},
		{"alice", "`alice` is not a number or SIP address"},
		{"@alice", "I cannot tell who `@alice` is"},
		{"<!subteam^S0123|@oncall>", "User groups"},
		{"agent +14155550100", "Put the number first"},
		{"sip:alice", "needs a user and a host"},
		{"help me", "`help` is not a number"},
		{strings.Repeat("+1 ", 200), "too long"},
		{"+1415\x00555", "control characters"},
		{"\xff\xfe", "not valid UTF-8"},
		{"+1 415 555 0100`; rm -rf", "'`' is not allowed in a phone number"},
		{"sip:<mailto:alice@example.com|alice@example.com> customer extra", "I did not expect `customer extra`"},
	}
	for _, tt := range tests {
		_, err := ParseCommand(tt.text, "US")
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Errorf("ParseCommand(%q): err = %v, want *UsageError", tt.text, err)
			continue
		}
		if !strings.Contains(ue.Message, tt.want) {
			t.Errorf("ParseCommand(%q): message %q does not contain %q", tt.text, ue.Message, tt.want)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"", "help", "+14155550100 agent", "+1 (415) 555-0100 customer", "sip:a@b.com", "<@U1|a> agent", "x y z", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cmd, err := ParseCommand(text, "US")
		if err != nil {
			var ue *UsageError
			if !errors.As(err, &ue) || ue.Message == "" {
				t.Fatalf("ParseCommand(%q): error %v is not a UsageError with a message", text, err)
			}
			return
		}
		switch cmd.Kind {
		case CommandHelp:
		case CommandAdd:
			if cmd.To.IsZero() == (cmd.ToUser == "") {
				t.Fatalf("ParseCommand(%q): add with to=%q user=%q", text, cmd.To, cmd.ToUser)
			}
			if !cmd.Role.Valid() {
				t.Fatalf("ParseCommand(%q): role %q", text, cmd.Role)
			}
		default:
			t.Fatalf("ParseCommand(%q): kind %d", text, cmd.Kind)
		}
	})
}
