package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/mpc-bot/mpc-bot/conference"
	"github.com/mpc-bot/mpc-bot/phlo"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

// oneShotClient is a PHLO client for fp that does not retry, so that a
// canned answer is the last word.
func oneShotClient(t *testing.T, fp *phlotest.Server) *phlo.Client {
	t.Helper()
	cfg := fp.Config()
	pc, err := phlo.New(phlo.Config{BaseURL: fp.URL(), AuthID: cfg.AuthID, AuthToken: cfg.AuthToken, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pc.CloseIdleConnections)
	return pc
}

var defaultBridge = conference.Bridge{Name: conference.DefaultBridge, PhloID: phlotest.DefaultPhloID, NodeID: phlotest.DefaultNodeID}

// TestExplainNodeCheck covers the answers the binary's tests cannot reach
// quickly (every retry spent) or at all: each gets words and a fix, and
// 429s and 5xx are marked as saying nothing about the settings.
func TestExplainNodeCheck(t *testing.T) {
	for _, tc := range []struct {
		name      string
		answer    phlotest.Response
		bridge    conference.Bridge
		problem   string
		fix       string
		transient bool
	}{
		{name: "server error", answer: phlotest.JSONResponse(503, "Service Unavailable"),
			problem: "HTTP 503, a fault on Plivo's side", fix: "try again later", transient: true},
		{name: "rate limited", answer: phlotest.JSONResponse(429, "Too many requests"),
			problem: "429 Too Many Requests", fix: "PHLO_RATE_LIMIT", transient: true},
		{name: "redirect", answer: phlotest.Response{Status: 301, Header: http.Header{"Location": {"https://example.com/"}}},
			problem: "redirect (HTTP 301)", fix: "PHLO_BASE_URL"},
		{name: "not JSON", answer: phlotest.Response{Status: 200, Body: "<html>hello</html>"},
			problem: "not JSON", fix: "PHLO_BASE_URL"},
		{name: "bad request", answer: phlotest.JSONResponse(400, "phlo_id is invalid"),
			problem: "HTTP 400 Bad Request: phlo_id is invalid", fix: "check PHLO_ID, PHLO_NODE_ID and PHLO_BASE_URL"},
		{name: "invalid ids", bridge: conference.Bridge{Name: "ops", PhloID: "..", NodeID: "n"},
			problem: "empty", fix: `phlo_id of "ops" in the MPC_BRIDGES file`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fp := phlotest.NewServer(phlotest.Config{})
			defer fp.Close()
			if tc.answer.Status != 0 {
				fp.Enqueue(tc.answer)
			}
			br := defaultBridge
			if tc.bridge.Name != "" {
				br = tc.bridge
			}
			ctx := context.Background()
			_, err := oneShotClient(t, fp).CheckNode(ctx, phlo.Node{PhloID: br.PhloID, NodeID: br.NodeID})
			if err == nil {
				t.Fatal("CheckNode passed")
			}
			p := explainNodeCheck(ctx, br, err)
			if !strings.Contains(p.problem, tc.problem) || !strings.Contains(p.fix, tc.fix) || p.transient != tc.transient {
				t.Errorf("%+v; want problem with %q, fix with %q, transient %v", p, tc.problem, tc.fix, tc.transient)
			}
		})
	}
}

func TestExplainInterrupted(t *testing.T) {
	fp := phlotest.NewServer(phlotest.Config{})
	defer fp.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := oneShotClient(t, fp).CheckNode(ctx, phlo.Node{PhloID: phlotest.DefaultPhloID, NodeID: phlotest.DefaultNodeID})
	if p := explainNodeCheck(ctx, defaultBridge, err); p.problem != "interrupted before Plivo answered" {
		t.Errorf("%+v", p)
	}
}

// TestStartCarriesOnWhenPlivoIsBusy: a 5xx at start-up says nothing
// about the settings, so the bot starts, saying so in its log.
func TestStartCarriesOnWhenPlivoIsBusy(t *testing.T) {
	fp := phlotest.NewServer(phlotest.Config{})
	defer fp.Close()
	fp.SetFailure(phlotest.Failure{Status: 500})
	brs, err := conference.NewBridges(defaultBridge)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	if err := checkBridgesAtStart(context.Background(), log, oneShotClient(t, fp), brs); err != nil {
		t.Fatalf("start stopped on a 500: %v", err)
	}
	if !strings.Contains(logs.String(), "could not check bridge; starting anyway") || !strings.Contains(logs.String(), "HTTP 500") {
		t.Errorf("logs:\n%s", logs.String())
	}

	// A cancelled start is not a failed check.
	fp.SetFailure(phlotest.Failure{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := checkBridgesAtStart(ctx, log, oneShotClient(t, fp), brs); err != nil {
		t.Errorf("cancelled start: %v", err)
	}
}
