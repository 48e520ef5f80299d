package blocktext

import "testing"

func testNames() Names {
	return Names{
		User: func(id string) string {
			return map[string]string{"U0ALICE": "alice"}[id]
		},
		Group: func(id string) string {
			return map[string]string{"S0ONCALL": "oncall"}[id]
		},
		Channel: func(id string) string {
			return map[string]string{"C0INCIDENT": "incident"}[id]
		},
	}
}

func TestMrkdwn(t *testing.T) {
	n := testNames()
	for _, tt := range []struct{ in, want string }{
		{"<@U0ALICE> is adding *+1•••0100*", "@alice is adding +1•••0100"},
		{"<@U0ALICE|old-name> and <@U0NOBODY|bob> and <@U0GHOST>", "@alice and @bob and @U0GHOST"},
		{"<!subteam^S0ONCALL> <!subteam^S0OTHER|@dbas> <!subteam^S0X>", "@oncall @dbas @S0X"},
		{"in <#C0INCIDENT> and <#C0OTHER|ops>", "in #incident and #ops"},
		{"Added <!date^1764072000^{date_short_pretty} {time}|2025-11-25 12:00 UTC>.", "Added 2025-11-25 12:00 UTC."},
		{"<!here> <!channel|@channel>", "@here @channel"},
		{"see <https://example.com/a?b=1&amp;c=2|the docs> or <https://x.test>", "see the docs (https://example.com/a?b=1&c=2) or https://x.test"},
		{"<mailto:ops@example.com|ops@example.com>", "ops@example.com"},
		{"a &lt;b&gt; &amp; c", "a <b> & c"},
		{"_italic_ and ~gone~ but api_id and snake_case_name stay", "italic and gone but api_id and snake_case_name stay"},
		{"PHLO api_id `*not bold* _x_` kept", "PHLO api_id `*not bold* _x_` kept"},
		{":white_check_mark: done :some_custom_emoji:", "✅ done :some_custom_emoji:"},
		{"*Why:*\n> line one\n&gt; line two", "Why:\n┃ line one\n┃ line two"},
		{"unclosed `code and *bold*", "unclosed `code and bold"},
		{"```\n*raw*\n```", "```\n*raw*\n```"},
	} {
		if got := n.Mrkdwn(tt.in); got != tt.want {
			t.Errorf("Mrkdwn(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestMrkdwnWithoutNames(t *testing.T) {
	if got := (Names{}).Mrkdwn("<@U0ALICE|alice> <@U0BOB> <!subteam^S1|@oncall>"); got != "@alice @U0BOB @oncall" {
		t.Errorf("got %q", got)
	}
}
