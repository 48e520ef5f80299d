package bot

import (
	"errors"
	"strings"
	"testing"

	"github.com/mpc-bot/mpc-bot/conference"
)

// describe renders targets compactly for comparison: numbers as themselves,
// users as @U…, groups as &S….
func describe(ts []conference.Target) string {
	var out []string
	for _, t := range ts {
		switch {
		case t.User != "":
			out = append(out, "@"+t.User)
		case t.Group != "":
			out = append(out, "&"+t.Group)
		default:
			out = append(out, t.Address.String())
		}
	}
	return strings.Join(out, " ")
}

func TestParseCommandAdd(t *testing.T) {
	tests := []struct {
		text    string
		targets string
		role    conference.Role
	}{
		{"+14155550100", "+14155550100", conference.RoleAgent},
		{"+14155550100 agent", "+14155550100", conference.RoleAgent},
		{"+14155550100 customer", "+14155550100", conference.RoleCustomer},
		{"  +14155550100   CUSTOMER  ", "+14155550100", conference.RoleCustomer},
		{"+1 (415) 555-0100 customer", "+14155550100", conference.RoleCustomer},
		{"415 555 0100", "+14155550100", conference.RoleAgent},
		{"<tel:+14155550100|+1 415 555 0100> customer", "+14155550100", conference.RoleCustomer},
		{"sip:alice@example.sip.plivo.com", "sip:alice@example.sip.plivo.com", conference.RoleAgent},
		{"sip:<mailto:alice@example.sip.plivo.com|alice@example.sip.plivo.com> customer", "sip:alice@example.sip.plivo.com", conference.RoleCustomer},
		{"<@U0123ABCD|alice>", "@U0123ABCD", conference.RoleAgent},
		{"<@U0123ABCD> <@W0456EFGH|bob> customer", "@U0123ABCD @W0456EFGH", conference.RoleCustomer},
		{"<!subteam^S0DBA|@oncall-dbs>", "&S0DBA", conference.RoleAgent},
		{"+1 415 555 0100 +44 20 7946 0000 <@U0123ABCD> sip:a@b.com", "+14155550100 +442079460000 @U0123ABCD sip:a@b.com", conference.RoleAgent},
		{"+1 415-555-0100 x123 customer", "+14155550100", conference.RoleCustomer},
		{"+1 415 555 0100 ext. 12", "+14155550100", conference.RoleAgent},
	}
	for _, tt := range tests {
		cmd, err := ParseCommand(tt.text, "US")
		if err != nil {
			t.Errorf("ParseCommand(%q): %v", tt.text, err)
			continue
		}
		if got := describe(cmd.Targets); cmd.Kind != CommandAdd || got != tt.targets || cmd.Role != tt.role {
			t.Errorf("ParseCommand(%q) = kind %d targets %q role %s; want %q %s", tt.text, cmd.Kind, got, cmd.Role, tt.targets, tt.role)
		}
	}
}

func TestParseCommandKeywords(t *testing.T) {
	cmd, err := ParseCommand("register +1 (415) 555-0100", "US")
	if err != nil || cmd.Kind != CommandRegister || describe(cmd.Targets) != "+14155550100" {
		t.Errorf("register: %+v, %v", cmd, err)
	}
	for text, want := range map[string]CommandKind{"": CommandModal, "   ": CommandModal, "help": CommandHelp, "HELP": CommandHelp,
		"whoami": CommandWhoami, "unregister": CommandUnregister, "History": CommandHistory} {
		cmd, err := ParseCommand(text, "US")
		if err != nil || cmd.Kind != want {
			t.Errorf("ParseCommand(%q) = %+v, %v; want kind %d", text, cmd, err, want)
		}
	}
}

func TestParseCommandVerbs(t *testing.T) {
	for _, tt := range []struct {
		text    string
		kind    CommandKind
		verb    conference.Verb
		targets string
		bridge  string
		role    conference.Role
	}{
		{"hold <@U0BOB|bob>", CommandMember, conference.VerbHold, "@U0BOB", "", ""},
		{"UNHOLD <@U0BOB>", CommandMember, conference.VerbUnhold, "@U0BOB", "", ""},
		{"hangup <@U0BOB> +14155550100", CommandMember, conference.VerbHangup, "@U0BOB +14155550100", "", ""},
		{"transfer <@U0DANA>", CommandTransfer, conference.VerbWarmTransfer, "@U0DANA", "", conference.RoleAgent},
		{"transfer <@U0DANA> cold", CommandTransfer, conference.VerbColdTransfer, "@U0DANA", "", conference.RoleAgent},
		{"transfer +1 415 555 0100 customer on dbs", CommandTransfer, conference.VerbWarmTransfer, "+14155550100", "dbs", conference.RoleCustomer},
		{"abort-transfer", CommandAbortTransfer, conference.VerbAbortTransfer, "", "", ""},
		{"abort-transfer on dbs", CommandAbortTransfer, conference.VerbAbortTransfer, "", "dbs", ""},
		{"roster", CommandRoster, "", "", "", ""},
		{"bridge", CommandBridge, "", "", "", ""},
		{"bridge DBS", CommandBridge, "", "", "dbs", ""},
		{"bridge none", CommandBridge, "", "", "none", ""},
		{"+14155550100 customer on dbs", CommandAdd, "", "+14155550100", "dbs", conference.RoleCustomer},
		{"on dbs <@U0BOB>", CommandAdd, "", "@U0BOB", "dbs", conference.RoleAgent},
	} {
		cmd, err := ParseCommand(tt.text, "US")
		if err != nil {
			t.Errorf("ParseCommand(%q): %v", tt.text, err)
			continue
		}
		if cmd.Kind != tt.kind || cmd.Verb != tt.verb || describe(cmd.Targets) != tt.targets || cmd.Bridge != tt.bridge || cmd.Role != tt.role {
			t.Errorf("ParseCommand(%q) = %+v (targets %q)", tt.text, cmd, describe(cmd.Targets))
		}
	}
}

func TestParseCommandRejects(t *testing.T) {
	tests := []struct{ text, want string }{
		{"+1415", "`+1415` is not a number or SIP address I can dial: too short"},
		{"+14155550100 manager", "`manager` is not a role"},
		{"+14155550100 agent now", "The role (`agent`) goes last"},
		{"+14155550100 please call", "I did not expect `please`"},
		{"alice", "`alice` is not a number or SIP address"},
		{"@alice", "I cannot tell who `@alice` is"},
		{"agent", "Put the number first"},
		{"agent +14155550100", "The role (`agent`) goes last"},
		{"sip:alice", "needs a user and a host"},
		{"help me", "I did not expect `me`"},
		{"register", "Register which number?"},
		{"register alice", "`alice` is not a number or SIP address I can use"},
		{"whoami now", "`/mpc-add whoami` takes nothing after it"},
		{strings.Repeat("+1 ", 400), "too long"},
		// The limit counts characters, as it says, not bytes: 513
		// characters are refused for something else.
		{"+14155550100 " + strings.Repeat("é", 500), "is not a role"},
		{strings.Repeat("<@U0123ABCD> ", 21), "at most 20"},
		{"+1415\x00555", "control characters"},
		{"\xff\xfe", "not valid UTF-8"},
		{"+1 415 555 0100`; rm -rf", "'`' is not allowed in a phone number"},
		{"+14155550100 agent customer", "Give one role, `agent` or `customer`, not `agent customer`"},
		{"415 555 0100 415 555 0101", "start each with `+`"},
		{"hold", "Hold whom?"},
		{"hold <!subteam^S1|@x>", "acts on people, not groups"},
		{"transfer", "Transfer to whom?"},
		{"transfer <@U1> <@U2>", "A transfer goes to one person or number"},
		{"abort-transfer now", "takes nothing after it"},
		{"+14155550100 on", "On which bridge?"},
		{"+14155550100 on dbs on ops", "`on` appears twice"},
		{"+14155550100 on DB$", "is not a bridge name"},
		{"bridge a b", "takes one bridge name"},
		{"roster now", "`/mpc-add roster` takes nothing after it"},
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
	for _, s := range []string{"", "help", "+14155550100 agent", "+1 (415) 555-0100 customer", "sip:a@b.com", "<@U1|a> agent", "<!subteam^S1|@x>", "x y z", "\x00", "<tel:+1|+1 2>"} {
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
		case CommandHelp, CommandModal, CommandWhoami, CommandUnregister, CommandHistory, CommandRoster, CommandBridge, CommandAbortTransfer:
		case CommandMember, CommandTransfer:
			if len(cmd.Targets) == 0 || !cmd.Verb.Valid() {
				t.Fatalf("ParseCommand(%q): %+v", text, cmd)
			}
		case CommandRegister:
			if len(cmd.Targets) != 1 || cmd.Targets[0].Address.IsZero() {
				t.Fatalf("ParseCommand(%q): register %+v", text, cmd.Targets)
			}
		case CommandAdd:
			if len(cmd.Targets) == 0 || len(cmd.Targets) > conference.MaxPeople {
				t.Fatalf("ParseCommand(%q): %d targets", text, len(cmd.Targets))
			}
			for _, tg := range cmd.Targets {
				set := 0
				if !tg.Address.IsZero() {
					set++
				}
				if tg.User != "" {
					set++
				}
				if tg.Group != "" {
					set++
				}
				if set != 1 {
					t.Fatalf("ParseCommand(%q): target %+v", text, tg)
				}
			}
			if !cmd.Role.Valid() {
				t.Fatalf("ParseCommand(%q): role %q", text, cmd.Role)
			}
		default:
			t.Fatalf("ParseCommand(%q): kind %d", text, cmd.Kind)
		}
	})
}
