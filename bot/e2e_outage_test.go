package bot_test

import (
	"strings"
	"testing"
)

// TestDatabaseOutageIsToldNotSwallowed: when the database cannot record a
// request, the person hears that nothing will be dialled, the log says
// why, and the service reports the fault to the readiness probe.
func TestDatabaseOutageIsToldNotSwallowed(t *testing.T) {
	h := newHarness(t)
	h.store.Close()
	ack, _ := h.command(callerID, publicChan, "+14155550100")
	if got := ackText(t, ack); !strings.Contains(got, "cannot record this request in its database right now, so it will not act on it and nothing was dialled") {
		t.Errorf("ack %q", got)
	}
	// A mention is claimed before anything else; the claim fails too.
	if _, err := h.slack.SendEvent(map[string]any{
		"type": "app_mention", "user": callerID, "channel": publicChan, "ts": incidentTS, "event_ts": incidentTS,
		"text": "<@UBOTFAKE> whoami",
	}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the mention's answer", func() bool {
		for _, e := range h.slack.Ephemerals() {
			if strings.Contains(e.Text, "cannot record this request") {
				return true
			}
		}
		return false
	})
	h.idle()
	if n := len(h.phlo.Requests()); n != 0 {
		t.Errorf("%d PHLO requests with the database down", n)
	}
	if h.svc.StoreFault() == nil {
		t.Error("the service does not report the failing database")
	}
	if !strings.Contains(h.logs.String(), `"level":"ERROR","msg":"could not record requests; refusing them"`) {
		t.Errorf("no error logged:\n%s", h.logs.String())
	}
}
