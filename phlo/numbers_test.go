package phlo_test

import (
	"strings"
	"testing"

	"github.com/mpc-bot/mpc-bot/phlo"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

func TestNumberFormatOnTheWire(t *testing.T) {
	t.Parallel()
	cases := []struct {
		format              phlo.NumberFormat
		to, trigger, member string // as passed in
		wantTo, wantTrigger string
		wantPath            string // member segment on the wire
	}{
		{phlo.NumberDigits, testTo, testTrigger, testTo, "14155550100", "14155550199", "14155550100"},
		{phlo.NumberDigits, testSIP, testTrigger, testSIP, testSIP, "14155550199", testSIP},
		{phlo.NumberE164, testTo, testTrigger, testTo, testTo, testTrigger, "+14155550100"},
		{phlo.NumberE164, "14155550100", "14155550199", "14155550100", testTo, testTrigger, "+14155550100"},
		{"", testTo, testSIP, testSIP, testTo, testSIP, testSIP}, // default e164
	}
	for _, tc := range cases {
		t.Run(string(tc.format)+" "+tc.to, func(t *testing.T) {
			t.Parallel()
			c, srv := newPair(t, func(c *phlo.Config) { c.NumberFormat = tc.format })
			if _, err := c.AddMember(ctxT(t), testNode(), phlo.Call{To: tc.to, TriggerSource: tc.trigger}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.UpdateMember(ctxT(t), testNode(), tc.member, phlo.MemberHangup); err != nil {
				t.Fatal(err)
			}
			reqs := wantRequests(t, srv, 2)
			if reqs[0].To != tc.wantTo || reqs[0].TriggerSource != tc.wantTrigger {
				t.Errorf("to %q trigger_source %q, want %q %q", reqs[0].To, reqs[0].TriggerSource, tc.wantTo, tc.wantTrigger)
			}
			if reqs[1].MemberAddress != tc.wantPath || !strings.HasSuffix(reqs[1].Path, "/members/"+tc.wantPath) {
				t.Errorf("member %q path %q, want %q", reqs[1].MemberAddress, reqs[1].Path, tc.wantPath)
			}
		})
	}
}

// TestDigitsAreMaskedToo: with NumberDigits the wire form lacks the "+",
// and an echo of either form is masked.
func TestDigitsAreMaskedToo(t *testing.T) {
	t.Parallel()
	c, srv := newPair(t, func(c *phlo.Config) { c.NumberFormat = phlo.NumberDigits })
	srv.Enqueue(phlotest.JSONResponse(400, "bad to 14155550100 (+14155550100), trigger +14155550199"))
	_, err := c.AddMember(ctxT(t), testNode(), phlo.Call{To: "14155550100", TriggerSource: "14155550199"})
	if ae := mustAPIError(t, err); ae.Message != "bad to *** (***), trigger ***" {
		t.Errorf("Message = %q", ae.Message)
	}
}
