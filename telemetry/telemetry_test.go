package telemetry

import (
	"github.com/mpc-bot/mpc-bot/conference"

	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func get(t *testing.T, srv *httptest.Server, path string) (int, string) {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestEndpoints(t *testing.T) {
	m := NewMetrics()
	ready := errors.New("socket mode not connected")
	srv := httptest.NewServer(NewHandler(m,
		Check{Name: "slack", Check: func(context.Context) error { return ready }},
		Check{Name: "database", Check: func(context.Context) error { return nil }}))
	defer srv.Close()

	if code, body := get(t, srv, "/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Errorf("/healthz = %d %s", code, body)
	}
	if code, body := get(t, srv, "/readyz"); code != 503 || !strings.Contains(body, "socket mode not connected") || !strings.Contains(body, `"database":"ok"`) {
		t.Errorf("/readyz while not connected = %d %s", code, body)
	}
	ready = nil
	if code, _ := get(t, srv, "/readyz"); code != 200 {
		t.Errorf("/readyz when ready = %d", code)
	}

	m.Connected()
	m.Sent(conference.VerbCall, conference.RoleAgent, conference.Outcome{Status: conference.StatusAccepted}, 120*time.Millisecond)
	m.Sent(conference.VerbCall, conference.RoleCustomer, conference.Outcome{Status: conference.StatusFailed}, time.Second)
	m.Sent(conference.VerbHold, conference.RoleAgent, conference.Outcome{Status: conference.StatusAccepted}, time.Second)
	m.Acked("slash_commands", time.Millisecond)
	m.QueueDepth(3)
	m.Denied("channel")
	code, body := get(t, srv, "/metrics")
	for _, want := range []string{
		`mpcbot_adds_total{outcome="dialled",role="agent"} 1`,
		`mpcbot_adds_total{outcome="failed",role="customer"} 1`,
		`mpcbot_phlo_request_duration_seconds_count 3`,
		`mpcbot_actions_total{outcome="accepted",verb="hold"} 1`,
		`mpcbot_slack_ack_duration_seconds_count{type="slash_commands"} 1`,
		`mpcbot_slack_connections_total 1`,
		`mpcbot_queue_depth 3`,
		`mpcbot_denials_total{reason="channel"} 1`,
		`go_goroutines`,
	} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if n, err := testutil.GatherAndCount(m.Registry, "mpcbot_adds_total"); err != nil || n != 2 {
		t.Errorf("adds series = %d, %v", n, err)
	}
}
