package bot

import (
	"context"
	"errors"
	"log/slog"

	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/mpc-bot/mpc-bot/conference"
)

// onFunctionExecuted runs the Workflow Builder step "Add to call"
// (manifest.workflows.yaml). It is an add like the slash command's, under
// the same rules, limits, audit trail and once-only key: the request is
// recorded, then the envelope acked, and the step's reporter completes
// the step when the request is done. The event names no user, so the
// step dials on behalf of its Requested by input; a run without one is
// refused rather than dialled as somebody nobody chose.
func (b *Bot) onFunctionExecuted(smc *socketmode.Client, env *socketmode.Request, outer slackevents.EventsAPIEvent, ev *slackevents.FunctionExecutedEvent) {
	log := b.log.With("function_execution_id", ev.FunctionExecutionID, "callback_id", ev.Function.CallbackID)
	switch {
	case ev.Function.CallbackID != stepCallbackID:
		b.ack(smc, env, nil)
		log.Warn("ignored a Workflow Builder step this version does not define")
		return
	case ev.FunctionExecutionID == "" || ev.BotAccessToken == "":
		b.ack(smc, env, nil)
		log.Error("ignored a Workflow Builder step without an execution ID or token: it cannot be completed")
		return
	}
	step := execution{id: ev.FunctionExecutionID, token: ev.BotAccessToken}
	in, err := parseStepInputs(ev.Inputs, b.region)
	if err != nil {
		b.refuseStepInputs(smc, env, step, err, log)
		return
	}
	rt := route{Channel: in.Channel, Function: step.id, FunctionToken: step.token}
	req := conference.Request{
		Kind: conference.KindAdd,
		// A re-delivered execution carries the same ID, so it acts once.
		Key:     "function:" + step.id,
		By:      conference.Person{Team: outer.TeamID, Enterprise: outer.EnterpriseID, User: in.By},
		Place:   conference.Place{Team: outer.TeamID, Channel: in.Channel},
		Reply:   rt.encode(),
		Targets: in.Targets, Role: in.Role, Bridge: in.Bridge, Note: in.Note,
	}
	b.spawn(func() {
		ctx, cancel := context.WithTimeout(context.Background(), submitTimeout)
		defer cancel()
		receipt, err := b.svc.Submit(ctx, req)
		b.ack(smc, env, nil)
		if err == nil || errors.Is(err, conference.ErrDuplicate) {
			// Done completes it; a duplicate's first delivery does.
			return
		}
		// Not recorded, so nothing will complete the step but this.
		answer, _ := b.admissionMessage(receipt, err, req)
		b.completeStep(ctx, step, stepResult{err: stepText(answer.Text)})
	})
}

// refuseStepInputs completes a run whose inputs are wrong with an error
// saying which, once however often Slack delivers it.
func (b *Bot) refuseStepInputs(smc *socketmode.Client, env *socketmode.Request, step execution, err error, log *slog.Logger) {
	b.spawn(func() {
		ctx, cancel := context.WithTimeout(context.Background(), submitTimeout)
		defer cancel()
		first, cerr := b.svc.Claim(ctx, "function-inputs:"+step.id)
		b.ack(smc, env, nil)
		switch {
		case cerr != nil:
			// Completing twice is harmless (Slack refuses the second); not
			// completing leaves the workflow hanging.
			log.Error("could not record the step as answered; completing it all the same", "err", cerr)
		case !first:
			log.Info("ignored a re-delivery")
			return
		}
		log.Info("refused a Workflow Builder step: bad inputs")
		b.completeStep(ctx, step, stepResult{err: stepText(asUsageError(err).Message)})
	})
}
