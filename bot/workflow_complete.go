package bot

import (
	"context"
	"fmt"
	"net/http"
	"regexp"

	"github.com/slack-go/slack"
)

// maxStepError bounds the error a failed run shows in the workflow's
// activity; a run naming twenty people who all failed stays readable.
const maxStepError = 2000

// execution is one run of the Workflow Builder step: what completing it
// takes.
type execution struct {
	id string // function_execution_id
	// token is the execution's bot_access_token: a bearer secret, never
	// logged.
	token string
}

// stepResult is how a run ends: with err, as failed; else with outputs.
type stepResult struct {
	outputs map[string]string
	err     string
}

// completeStep ends a run with functions.completeSuccess or
// functions.completeError, with a fresh deadline since it is often the
// last word after the request's own ran out. A run completed before
// (Slack's execution_not_in_running_state) stays as it was.
func (b *Bot) completeStep(ctx context.Context, step execution, res stepResult) {
	fctx, cancel := finalContext(ctx)
	defer cancel()
	api := b.executionClient(step.token)
	var err error
	if res.err != "" {
		err = api.FunctionCompleteErrorContext(fctx, step.id, cut(res.err, maxStepError))
	} else {
		err = api.FunctionCompleteSuccessContext(fctx, step.id, slack.FunctionCompleteSuccessRequestOptionOutput(res.outputs))
	}
	log := b.log.With("function_execution_id", step.id, "failed", res.err != "")
	switch code := slackErrorCode(err); {
	case err == nil:
		log.Info("completed a Workflow Builder step")
	case code == "execution_not_in_running_state":
		log.Info("the Workflow Builder step was already completed")
	default:
		log.Error("could not complete a Workflow Builder step; the workflow waits until Slack times it out", "slack_error", code)
	}
}

// executionClient is a Slack client that speaks with one execution's
// token (functions.complete* accept no other) at the API URL the bot's
// client uses. slack-go can neither tell a client's URL nor set the token
// of a copy, so it copies the bot's client and replaces the bearer token
// on each request. It sends JSON methods only: slack-go puts the token of
// a form method in its body, which would be the bot's.
func (b *Bot) executionClient(token string) *slack.Client {
	c := *b.api
	slack.OptionHTTPClient(bearerClient{token: token})(&c)
	return &c
}

// bearerClient sends JSON requests with its own token.
type bearerClient struct{ token string }

func (c bearerClient) Do(req *http.Request) (*http.Response, error) {
	if req.Header.Get("Content-Type") != "application/json" {
		return nil, fmt.Errorf("bot: %s: the execution's client sends JSON methods only", req.URL.Path)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	return http.DefaultClient.Do(req)
}

// leadingEmoji matches the emoji a Slack message line opens with.
var leadingEmoji = regexp.MustCompile(`(?m)^:[a-z0-9_+\-]+:\s*`)

// stepText is a message's text for the workflow's activity, which shows
// no emoji codes.
func stepText(s string) string { return leadingEmoji.ReplaceAllString(textOf(s), "") }
