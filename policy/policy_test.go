package policy

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mpc-bot/mpc-bot/address"
)

type groups map[string][]string

func (g groups) Members(_ context.Context, id string) ([]string, error) {
	m, ok := g[id]
	if !ok {
		return nil, errors.New("no_such_subteam")
	}
	return m, nil
}

func mustParse(t *testing.T, s string) address.Address {
	t.Helper()
	a, err := address.Parse(s, "US")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func reason(err error) string {
	var d *DeniedError
	if errors.As(err, &d) {
		return d.Reason
	}
	if err != nil {
		return "error"
	}
	return ""
}

func TestEmptyPolicyAllowsAllButPremium(t *testing.T) {
	p, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AllowRequester(context.Background(), groups{}, "C1", "U1"); err != nil {
		t.Error(err)
	}
	if err := p.AllowDestination(mustParse(t, "+442079460000")); err != nil {
		t.Error(err)
	}
	if r := reason(p.AllowDestination(mustParse(t, "+1 900 555 0100"))); r != "premium_rate" {
		t.Errorf("premium-rate: %q", r)
	}
}

func TestRequesterAllowLists(t *testing.T) {
	p, err := New(Config{Channels: []string{"C0INC", " "}, Users: []string{"U0BOSS"}, UserGroups: []string{"S0SRE"}})
	if err != nil {
		t.Fatal(err)
	}
	g := groups{"S0SRE": {"U0SRE1"}}
	ctx := context.Background()
	for _, tt := range []struct{ channel, user, want string }{
		{"C0INC", "U0BOSS", ""},
		{"C0INC", "U0SRE1", ""},
		{"C0INC", "U0RANDO", "user"},
		{"C0OTHER", "U0BOSS", "channel"},
	} {
		if got := reason(p.AllowRequester(ctx, g, tt.channel, tt.user)); got != tt.want {
			t.Errorf("%s/%s: %q, want %q", tt.channel, tt.user, got, tt.want)
		}
	}
	err = p.AllowRequester(ctx, g, "C0INC", "U0RANDO")
	if !strings.Contains(err.(*DeniedError).Message, "MPC_ALLOWED_USERGROUPS") {
		t.Errorf("message %q does not say how to get allowed", err)
	}
	if reason(p.AllowRequester(ctx, groups{}, "C0INC", "U0RANDO")) != "error" {
		t.Error("a failed group look-up must not allow")
	}
}

func TestDestinationRules(t *testing.T) {
	p, err := New(Config{Destinations: []string{"+1", "+4420", "sip:example.sip.plivo.com"}})
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"+14155550100":                       "",
		"+442079460000":                      "",
		"+441612345678":                      "destination",
		"+33142685300":                       "destination",
		"sip:alice@example.sip.plivo.com":    "",
		"sip:alice@eu.example.sip.plivo.com": "",
		"sip:alice@evil.com":                 "destination",
	} {
		if got := reason(p.AllowDestination(mustParse(t, in))); got != want {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
}

func TestNewRejectsMalformedSettings(t *testing.T) {
	_, err := New(Config{Channels: []string{"general"}, Users: []string{"alice"}, UserGroups: []string{"U0X"}, Destinations: []string{"44", "+abc", "not a domain"}})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"MPC_ALLOWED_CHANNELS", "MPC_ALLOWED_USERS", "MPC_ALLOWED_USERGROUPS", `"44"`, `"+abc"`, `"not a domain"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %s", err, want)
		}
	}
}
