package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSlackCallNotSlack: an SLACK_API_URL that is not the Web API, or a
// Slack that rate-limits, gets a line saying so, never the token.
func TestSlackCallNotSlack(t *testing.T) {
	const token = "xoxb-secret-token-42"
	for _, tc := range []struct {
		name      string
		handler   http.HandlerFunc
		want, fix string
	}{
		{"404", func(w http.ResponseWriter, _ *http.Request) { http.NotFound(w, nil) }, "answered HTTP 404: it does not look like the Slack Web API", "check SLACK_API_URL"},
		{"HTML", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<html>")) }, "not JSON", "check SLACK_API_URL"},
		{"429", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusTooManyRequests)
		}, "rate-limited by Slack (HTTP 429, retry after 30s)", "try again in a minute"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			lines := checkSlack(context.Background(), srv.Client(), token, "xapp-secret-token-43", srv.URL+"/api")
			if l := lines[0].String(); !strings.HasPrefix(l, "✗ Slack bot token") || !strings.Contains(l, "auth.test: ") || !strings.Contains(l, tc.want) || !strings.Contains(l, "Fix: "+tc.fix) || strings.Contains(l, "secret") {
				t.Errorf("%s", l)
			}
			if l := lines[2].String(); !strings.HasPrefix(l, "✗ Socket Mode") || !strings.Contains(l, tc.want) || strings.Contains(l, "secret") {
				t.Errorf("%s", l)
			}
		})
	}
}
