package bot_test

import (
	"strings"
	"testing"

	"github.com/mpc-bot/mpc-bot/phlo"
)

// TestNumberFormatsOnTheWire: with PHLO_NUMBER_FORMAT=digits every number
// PHLO receives (to, trigger_source, the member in the URL) has no "+";
// SIP addresses are sent as they are. The default, e164, keeps the "+".
func TestNumberFormatsOnTheWire(t *testing.T) {
	for _, tt := range []struct {
		format     phlo.NumberFormat
		to, caller string
	}{
		{phlo.NumberE164, "+14155550100", "+14155550199"},
		{phlo.NumberDigits, "14155550100", "14155550199"},
	} {
		t.Run(string(tt.format), func(t *testing.T) {
			h := newHarness(t, func(s *setup) { s.PHLO.NumberFormat = tt.format })
			h.command(callerID, publicChan, "+14155550100 sip:bob@example.sip.plivo.com")
			h.idle()
			h.command(callerID, publicChan, "hold +14155550100 sip:bob@example.sip.plivo.com")
			h.idle()
			acts := phloActions(h)
			calls := map[string]string{}
			for _, r := range acts["call"] {
				calls[r.To] = r.TriggerSource
			}
			if calls[tt.to] != tt.caller || calls["sip:bob@example.sip.plivo.com"] != tt.caller {
				t.Errorf("calls %v", calls)
			}
			holds := map[string]bool{}
			for _, r := range acts["hold"] {
				holds[r.MemberAddress] = true
				if !strings.HasSuffix(r.Path, "/members/"+r.MemberAddress) {
					t.Errorf("hold path %s", r.Path)
				}
			}
			if !holds[tt.to] || !holds["sip:bob@example.sip.plivo.com"] {
				t.Errorf("holds %v", holds)
			}
			// People see the same numbers whatever the wire format.
			if _, r := h.thread(publicChan); !strings.Contains(r[0].Text+r[1].Text, "+14155550100") {
				t.Errorf("replies %q / %q", r[0].Text, r[1].Text)
			}
		})
	}
}
