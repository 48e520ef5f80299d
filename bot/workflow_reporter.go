package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/mpc-bot/mpc-bot/conference"
)

// stepReporter builds the reporter of a request a Workflow Builder step
// made.
func (b *Bot) stepReporter(req conference.Request, rt route) *stepReporter {
	s := &stepReporter{b: b, req: req, step: execution{id: rt.Function, token: rt.FunctionToken}}
	if rt.Channel != "" {
		// The route names nobody (User is empty), so the channel reporter
		// never answers anyone privately: a step has nobody to answer.
		s.channel = newReporter(b, req, rt)
	}
	return s
}

// stepAnnouncement marks an announcement as a workflow's, so the channel
// knows nobody typed it: a context line above the request line.
func stepAnnouncement(m message) message {
	line := ":zap: Sent by a workflow, through its step *Add to call*."
	n := len(m.Blocks)
	if n == 0 {
		return m
	}
	m.Blocks = append(m.Blocks[:n-1:n-1], contextLine(line), m.Blocks[n-1])
	m.Text += " " + stepText(line)
	return m
}

// stepReporter reports a step's request. The announce channel, if the
// step names one, sees what a slash command's channel sees; nothing is
// said privately, since nobody typed anything; and Done completes the
// step, once: with outputs when anyone was dialled, else with an error
// that says why nobody was.
type stepReporter struct {
	b    *Bot
	req  conference.Request
	step execution
	// channel posts in the announce channel; nil when the step names none,
	// and then nothing but the completion reaches Slack.
	channel *reporter

	mu      sync.Mutex
	dialled []stepDial
	failed  []stepFailure
	refusal error
	seen    map[string]bool // entries reported, by audit ID
	once    sync.Once
}

// stepDial is a dial Plivo accepted.
type stepDial struct {
	order int
	apiID string
}

// stepFailure is someone the step did not dial, or may not have.
type stepFailure struct {
	// group and order sort failures as the request named them: the ones
	// left out first, then the dials in request order, then the ones an
	// interruption kept from being sent.
	group, order int
	who, why     string
}

func (s *stepReporter) Waiting(context.Context, conference.Wait) {
	s.b.log.Info("a Workflow Builder step waits for its requester's dial limit", "request_id", s.req.ID)
}

func (s *stepReporter) Announce(ctx context.Context, a conference.Announcement) {
	rn := s.b.renderer()
	s.mu.Lock()
	for i, u := range a.Unreachable {
		s.failed = append(s.failed, stepFailure{group: 0, order: i, who: rn.target(u.Target), why: rn.whyUnreachable(u)})
	}
	s.mu.Unlock()
	if s.channel != nil {
		s.channel.Announce(ctx, a)
	}
}

func (s *stepReporter) Outcome(ctx context.Context, o conference.PartyOutcome) {
	s.record(o.Entry.ID, s.b.renderer().party(o.Party), o.Outcome)
	if s.channel != nil {
		s.channel.Outcome(ctx, o)
	}
}

func (s *stepReporter) Refused(_ context.Context, err error) {
	s.mu.Lock()
	s.refusal = err
	s.mu.Unlock()
}

func (s *stepReporter) Interrupted(ctx context.Context, i conference.Interruption) {
	rn := s.b.renderer()
	for _, e := range i.Sent {
		o := conference.Outcome{Status: e.Status, APIID: e.APIID, Cause: e.Cause}
		if !o.Accepted() {
			o = conference.Outcome{Status: conference.StatusUnknown, Cause: conference.CauseStopped}
		}
		s.record(e.ID, rn.party(conference.Party{User: e.ToUser, Address: mustAddress(e.To)}), o)
	}
	s.mu.Lock()
	for n, t := range i.NotSent {
		s.failed = append(s.failed, stepFailure{group: 2, order: n, who: rn.target(t), why: "not dialled: " + interruptedWhy(i.Cause, "mpc-bot was restarting; run the workflow again in a moment")})
	}
	s.mu.Unlock()
	if s.channel != nil {
		s.channel.Interrupted(ctx, i)
	}
}

// Done completes the step. The service calls it once per run of the
// request; once more guards against a second call all the same.
func (s *stepReporter) Done(ctx context.Context) {
	s.once.Do(func() { s.b.completeStep(ctx, s.step, s.result()) })
}

// record notes one dial's outcome, once per audit entry.
func (s *stepReporter) record(entryID, who string, o conference.Outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[entryID] {
		return
	}
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	s.seen[entryID] = true
	order := entryOrder(entryID)
	rn := s.b.renderer()
	switch o.Status {
	case conference.StatusAccepted:
		s.dialled = append(s.dialled, stepDial{order: order, apiID: o.APIID})
	case conference.StatusUnknown:
		s.failed = append(s.failed, stepFailure{group: 1, order: order, who: who, why: "may or may not have been dialled: " + rn.reason(o, conference.VerbCall)})
	default:
		s.failed = append(s.failed, stepFailure{group: 1, order: order, who: who, why: rn.reason(o, conference.VerbCall)})
	}
}

// result is how the run ends: outputs when anyone was dialled; an error
// when the request was refused or nobody was dialled.
func (s *stepReporter) result() stepResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refusal != nil {
		return stepResult{err: s.b.stepRefusal(s.req, s.refusal)}
	}
	failed := failureLines(s.failed)
	if len(s.dialled) == 0 {
		return stepResult{err: stepText(strings.Join(append([]string{"Nobody was dialled."}, failed...), "\n"))}
	}
	slices.SortStableFunc(s.dialled, func(a, b stepDial) int { return a.order - b.order })
	var ids []string
	for _, d := range s.dialled {
		if d.apiID != "" {
			ids = append(ids, d.apiID)
		}
	}
	return stepResult{outputs: map[string]string{
		stepOutDialled:   strconv.Itoa(len(s.dialled)),
		stepOutAPIIDs:    strings.Join(ids, ","),
		stepOutFailed:    stepText(strings.Join(failed, "\n")),
		stepOutRequestID: s.req.ID,
	}}
}

// failureLines lists who failed and why, in request order, one line per
// reason: "<@A> and <@B>: Plivo rejected …".
func failureLines(fs []stepFailure) []string {
	fs = slices.Clone(fs)
	slices.SortStableFunc(fs, func(a, b stepFailure) int {
		if a.group != b.group {
			return a.group - b.group
		}
		return a.order - b.order
	})
	var reasons []string
	who := map[string][]string{}
	for _, f := range fs {
		if _, ok := who[f.why]; !ok {
			reasons = append(reasons, f.why)
		}
		who[f.why] = append(who[f.why], f.who)
	}
	lines := make([]string, len(reasons))
	for i, why := range reasons {
		lines[i] = list(who[why]) + ": " + why
	}
	return lines
}

// entryOrder is the position of an audit entry in its request ("…/3" is
// 3), for keeping outputs in the order the step named people.
func entryOrder(id string) int {
	i := strings.LastIndexByte(id, '/')
	n, err := strconv.Atoi(id[i+1:])
	if err != nil {
		return 1 << 30
	}
	return n
}

// interruptedWhy says why an interrupted request sent no more; restarting
// is said of a shutdown, in the reader's words.
func interruptedWhy(c conference.Cause, restarting string) string {
	switch c {
	case conference.CauseShutdown:
		return restarting
	case conference.CauseBusy:
		return "mpc-bot was too busy to get to this in time"
	}
	return "mpc-bot stopped before it finished this request"
}

// stepRefusal explains a refused step in the workflow's activity. Most
// refusals read as they do for a command; the two that speak of "you" or
// "this channel" are said of the step's own inputs.
func (b *Bot) stepRefusal(req conference.Request, err error) string {
	by := "<@" + req.By.User + ">"
	var cu *conference.CallerUnknownError
	var d *conference.Denial
	switch {
	case errors.As(err, &cu):
		na := cu.NoAddressError
		var why string
		switch {
		case na.External:
			why = by + " is from another organisation, so mpc-bot cannot read their Slack profile or their number"
		case na.Err != nil:
			why = fmt.Sprintf("mpc-bot could not read the Slack profile of %s (Slack said `%s`), so it does not know their number", by, escape(slackErrorCode(na.Err)))
		case na.ProfileReason != "":
			why = fmt.Sprintf("the phone number in the Slack profile of %s cannot be used: %s", by, escape(na.ProfileReason))
		default:
			why = "mpc-bot does not know the own phone number of " + by
		}
		return stepText(why + ", and Plivo places the call from the number of the step's Requested by (its `trigger_source`). Nothing was dialled. " +
			by + " can register their number with `" + slashCommand + " register +14155550100`, or set Requested by to someone whose number mpc-bot knows.")
	case errors.As(err, &d) && d.Rule == conference.RuleChannel && req.Place.Channel == "":
		return "mpc-bot is enabled in some channels only (MPC_ALLOWED_CHANNELS), and the step names no channel. Nothing was dialled: set the step's Channel to one of them."
	case errors.As(err, &d) && d.Rule == conference.RuleChannel:
		return "mpc-bot is not enabled in the step's channel <#" + req.Place.Channel + ">. Nothing was dialled: an admin can add it to `MPC_ALLOWED_CHANNELS`, or set the step's Channel to one where it is."
	}
	return stepText(b.refusalMessage(err).Text)
}
