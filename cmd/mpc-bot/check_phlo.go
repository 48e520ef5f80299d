package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mpc-bot/mpc-bot/conference"
	"github.com/mpc-bot/mpc-bot/phlo"
)

// phloCheckTimeout bounds the check of one bridge, retries included: long
// enough to ride out a blip, short enough that an unreachable Plivo stops
// the bot, or finishes `mpc-bot check`, within a deployer's patience.
const phloCheckTimeout = 20 * time.Second

// phloCheckParallel is how many bridges are checked at once.
const phloCheckParallel = 8

// nodeCheck is the outcome of checking one bridge's PHLO and node.
type nodeCheck struct {
	bridge conference.Bridge
	info   phlo.NodeInfo
	err    error // a *phlo.CheckError, or nil
}

// checkNodes checks every bridge's PHLO and node, a few at a time, and
// returns the outcomes in the order of list.
func checkNodes(ctx context.Context, pc *phlo.Client, list []conference.Bridge) []nodeCheck {
	out := make([]nodeCheck, len(list))
	var g errgroup.Group
	g.SetLimit(phloCheckParallel)
	for i, br := range list {
		g.Go(func() error {
			cctx, cancel := context.WithTimeout(ctx, phloCheckTimeout)
			defer cancel()
			info, err := pc.CheckNode(cctx, phlo.Node{PhloID: br.PhloID, NodeID: br.NodeID})
			out[i] = nodeCheck{bridge: br, info: info, err: err}
			return nil
		})
	}
	_ = g.Wait() // the goroutines return nil; failures are in out
	return out
}

// nodeProblem is a failed node check in words.
type nodeProblem struct {
	problem, fix string
	// account: the cause is the account or the way to Plivo (credentials,
	// network), not this bridge, so every bridge fails the same way.
	account bool
	// transient: Plivo is busy or failing (429, 5xx); the settings may
	// well be right.
	transient bool
}

// explainNodeCheck says why err, from CheckNode for br, happened and what
// fixes it, naming the setting or console page. ctx is the caller's: its
// end means the check was interrupted rather than timed out.
func explainNodeCheck(ctx context.Context, br conference.Bridge, err error) nodeProblem {
	phloSetting, nodeSetting := "PHLO_ID", "PHLO_NODE_ID"
	if br.Name != conference.DefaultBridge {
		phloSetting = fmt.Sprintf("phlo_id of %q in the MPC_BRIDGES file", br.Name)
		nodeSetting = fmt.Sprintf("node_id of %q in the MPC_BRIDGES file", br.Name)
	}
	baseURLFix := "set PHLO_BASE_URL to Plivo's PHLO runner, https://phlorunner.plivo.com, or unset it"
	var ce *phlo.CheckError
	if !errors.As(err, &ce) {
		return nodeProblem{problem: "the check failed: " + err.Error(), fix: "run mpc-bot check again"}
	}
	switch ce.Reason {
	case phlo.CheckInvalid:
		return nodeProblem{
			problem: "the PHLO or node ID is empty, \".\" or \"..\"",
			fix:     fmt.Sprintf("set %s and %s to the IDs the Plivo console shows", phloSetting, nodeSetting),
		}
	case phlo.CheckUnauthorized:
		return nodeProblem{account: true,
			problem: "Plivo refused PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN (HTTP 401)",
			fix:     "set both to the Auth ID and Auth Token on the Plivo console's overview page",
		}
	case phlo.CheckForbidden:
		return nodeProblem{account: true,
			problem: "Plivo refused access (HTTP 403): PHLO is not enabled for this account, or the account is not verified",
			fix:     "verify the account and enable PHLO in the Plivo console (or ask Plivo support), and check that PLIVO_AUTH_ID is the account that owns the PHLO",
		}
	case phlo.CheckNotFound:
		if ce.Step == phlo.StepPhlo {
			return nodeProblem{
				problem: "this Plivo account has no deployed PHLO with that ID (HTTP 404)",
				fix: fmt.Sprintf("set %s to the PHLO's ID (in its URL in the console's PHLO list), Save/Deploy the PHLO, and check that PLIVO_AUTH_ID is the account that owns it",
					phloSetting),
			}
		}
		return nodeProblem{
			problem: "the PHLO exists but has no Multi-Party Call node with that ID (HTTP 404)",
			fix:     fmt.Sprintf("set %s to the ID shown when you select the Multi-Party Call node in the PHLO editor, then Save/Deploy the PHLO", nodeSetting),
		}
	case phlo.CheckWrongType:
		kind := "a node of another type"
		if ce.NodeType != "" {
			kind = fmt.Sprintf("a %q node", ce.NodeType)
		}
		return nodeProblem{
			problem: fmt.Sprintf("the node is %s, not a Multi-Party Call (multi_party_call): adds would fail", kind),
			fix:     fmt.Sprintf("set %s to the ID of the PHLO's Multi-Party Call node (select it in the PHLO editor)", nodeSetting),
		}
	case phlo.CheckCancelled:
		var ae *phlo.APIError
		switch {
		case ctx.Err() != nil:
			return nodeProblem{account: true, problem: "interrupted before Plivo answered", fix: "run the check again"}
		case !errors.As(err, &ae):
			return nodeProblem{account: true,
				problem: fmt.Sprintf("Plivo did not answer within %s: %s", phloCheckTimeout, networkCause(err)),
				fix:     unreachableFix,
			}
		}
		// Time ran out while waiting to retry an answer: explain that.
	case phlo.CheckNetwork:
		return nodeProblem{account: true,
			problem: "Plivo is unreachable at PHLO_BASE_URL: " + networkCause(err),
			fix:     unreachableFix,
		}
	}
	var ae *phlo.APIError
	if !errors.As(err, &ae) {
		return nodeProblem{account: true,
			problem: "the answer is not a PHLO answer (not JSON): PHLO_BASE_URL does not look like the PHLO runner",
			fix:     baseURLFix,
		}
	}
	switch {
	case ae.RateLimited():
		return nodeProblem{account: true, transient: true,
			problem: "Plivo answered 429 Too Many Requests to every attempt: the account's request budget is spent",
			fix:     "try again in a minute; if other software shares the Plivo account, lower PHLO_RATE_LIMIT",
		}
	case ae.ServerError():
		return nodeProblem{account: true, transient: true,
			problem: fmt.Sprintf("Plivo answered HTTP %d, a fault on Plivo's side", ae.StatusCode),
			fix:     "try again later",
		}
	case ae.StatusCode >= 300 && ae.StatusCode < 400:
		return nodeProblem{account: true,
			problem: fmt.Sprintf("PHLO_BASE_URL answered with a redirect (HTTP %d): it is not the PHLO runner", ae.StatusCode),
			fix:     baseURLFix,
		}
	}
	msg := fmt.Sprintf("Plivo answered HTTP %d %s", ae.StatusCode, http.StatusText(ae.StatusCode))
	if ae.Message != "" {
		msg += ": " + ae.Message
	}
	return nodeProblem{problem: msg, fix: fmt.Sprintf("check %s, %s and PHLO_BASE_URL", phloSetting, nodeSetting)}
}

// unreachableFix is the fix when no answer comes from PHLO_BASE_URL.
const unreachableFix = "check DNS, firewalls and any HTTPS_PROXY on the way to PHLO_BASE_URL (default https://phlorunner.plivo.com)"

// networkCause is the lowest network error in err ("connect: connection
// refused", "no such host"), which names a host and port at most.
func networkCause(err error) string {
	var op *net.OpError
	var dns *net.DNSError
	var re *phlo.RequestError
	switch {
	case errors.As(err, &op):
		return op.Error()
	case errors.As(err, &dns):
		return dns.Error()
	case errors.As(err, &re) && re.Timeout():
		return "no answer in time"
	case re != nil:
		return re.Err.Error()
	}
	return err.Error()
}

// checkBridgesAtStart runs the PHLO checks of `mpc-bot check` for every
// bridge before the bot connects, so that wrong credentials, a wrong PHLO
// or node, or an unreachable Plivo stop it at once with the fix, instead
// of failing the first add. A 429 or a 5xx says nothing about the
// settings: it is logged and the bot starts. When ctx ends it returns nil,
// and the rest of Run stops at once.
func checkBridgesAtStart(ctx context.Context, log *slog.Logger, pc *phlo.Client, brs *conference.Bridges) error {
	results := checkNodes(ctx, pc, brs.All())
	if ctx.Err() != nil {
		return nil
	}
	var first *nodeCheck
	var firstProblem nodeProblem
	more := 0
	for i, r := range results {
		if r.err == nil {
			log.Info("checked bridge", "bridge", r.bridge.Name, "phlo", r.info.PhloName, "node", r.info.NodeName)
			continue
		}
		p := explainNodeCheck(ctx, r.bridge, r.err)
		if p.transient {
			log.Warn("could not check bridge; starting anyway", "bridge", r.bridge.Name, "problem", p.problem)
			continue
		}
		if first != nil {
			more++
			continue
		}
		first, firstProblem = &results[i], p
	}
	if first == nil {
		return nil
	}
	msg := fmt.Sprintf("PHLO check: bridge %q: %s. Fix: %s", first.bridge.Name, firstProblem.problem, firstProblem.fix)
	if more > 0 {
		msg += fmt.Sprintf(" (%d more %s failed too; mpc-bot check lists them all)", more, plural(more, "bridge", "bridges"))
	}
	return errors.New(msg)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
