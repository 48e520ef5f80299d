package slacktest

import (
	"encoding/json"
	"fmt"
)

// FunctionCall describes a run of a Workflow Builder custom step (a
// function the app defines in its manifest) for SendFunctionExecuted.
type FunctionCall struct {
	CallbackID string         // the function's callback_id in the manifest
	Inputs     map[string]any // the step's inputs, by input parameter name
}

// FunctionExecution identifies a function_executed event that was sent.
type FunctionExecution struct {
	EnvelopeID          string
	EventID             string
	FunctionExecutionID string // "Fx…"
	WorkflowExecutionID string // "Wx…"
	// BotAccessToken is the per-execution workflow token ("xwfp-…"). It is
	// the only token functions.completeSuccess/completeError accept for this
	// execution, and it works like BotToken for other methods until the
	// execution is completed.
	BotAccessToken string
}

// execution is a function execution the fake started.
type execution struct {
	token string
	done  bool // completed with success or error
}

// runningExecutionTokenLocked reports whether token is the workflow token of
// an execution that is not completed yet. s.mu must be held.
func (s *Server) runningExecutionTokenLocked(token string) bool {
	for _, ex := range s.executions {
		if ex.token == token {
			return !ex.done
		}
	}
	return false
}

// SendFunctionExecuted sends the "function_executed" event Slack sends when
// a workflow reaches one of the app's custom steps, with fresh execution
// IDs and a per-execution bot_access_token, and returns them. Finish it
// with functions.completeSuccess or functions.completeError (slack-go:
// FunctionCompleteSuccessContext / FunctionCompleteErrorContext) using that
// token; see FunctionCompletions. opts: see SendEvent.
func (s *Server) SendFunctionExecuted(f FunctionCall, opts ...EventOptions) (FunctionExecution, error) {
	var o EventOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	inputs := f.Inputs
	if inputs == nil {
		inputs = map[string]any{}
	}
	s.mu.Lock()
	s.execSeq++
	n := s.execSeq
	ex := FunctionExecution{
		FunctionExecutionID: fmt.Sprintf("Fx0FAKE%06d", n),
		WorkflowExecutionID: fmt.Sprintf("Wx0FAKE%06d", n),
		BotAccessToken:      fmt.Sprintf("xwfp-fake-workflow-token-%06d", n),
	}
	s.executions[ex.FunctionExecutionID] = &execution{token: ex.BotAccessToken}
	ts := s.nextTSLocked()
	s.mu.Unlock()

	sent, err := s.sendEvent(map[string]any{
		"type": "function_executed",
		"function": map[string]any{
			"id":                "Fn0FAKE" + f.CallbackID,
			"callback_id":       f.CallbackID,
			"title":             f.CallbackID,
			"description":       "",
			"type":              "app",
			"input_parameters":  []any{},
			"output_parameters": []any{},
			"app_id":            AppID,
			"date_created":      tsBase,
			"date_updated":      tsBase,
			"date_deleted":      0,
		},
		"inputs":                inputs,
		"function_execution_id": ex.FunctionExecutionID,
		"workflow_execution_id": ex.WorkflowExecutionID,
		"event_ts":              ts,
		"bot_access_token":      ex.BotAccessToken,
	}, o)
	if err != nil {
		return FunctionExecution{}, err
	}
	ex.EnvelopeID, ex.EventID = sent.EnvelopeID, sent.EventID
	return ex, nil
}

// functionsCompleteSuccess serves functions.completeSuccess
// {function_execution_id, outputs} as slack-go sends it (JSON, with
// "outputs":null when there are none; a form with outputs as JSON text
// works too). handleAPI has checked the execution's token.
func (s *Server) functionsCompleteSuccess(r *apiRequest) (map[string]any, string) {
	raw := r.body["outputs"]
	if r.body == nil {
		raw = json.RawMessage(r.params.Get("outputs"))
	}
	var fields map[string]json.RawMessage
	if len(raw) > 0 && json.Unmarshal(raw, &fields) != nil {
		return nil, "invalid_arguments"
	}
	outputs := make(map[string]string, len(fields))
	for k, v := range fields {
		var str string
		if json.Unmarshal(v, &str) == nil {
			outputs[k] = str
		} else {
			outputs[k] = string(v)
		}
	}
	return s.completeFunction(r, FunctionCompletion{Outputs: outputs})
}

// functionsCompleteError serves functions.completeError
// {function_execution_id, error}; error must not be empty
// (invalid_arguments).
func (s *Server) functionsCompleteError(r *apiRequest) (map[string]any, string) {
	msg := r.params.Get("error")
	if msg == "" {
		return nil, "invalid_arguments"
	}
	return s.completeFunction(r, FunctionCompletion{Error: msg})
}

// completeFunction records c for the execution named in r, which must not
// be completed already (execution_not_in_running_state, Slack's documented
// code for that).
func (s *Server) completeFunction(r *apiRequest, c FunctionCompletion) (map[string]any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.params.Get("function_execution_id")
	ex := s.executions[id]
	if ex == nil {
		return nil, "function_execution_not_found"
	}
	if ex.done {
		return nil, "execution_not_in_running_state"
	}
	ex.done = true
	c.FunctionExecutionID, c.Method, c.At = id, r.method, r.at
	s.completes = append(s.completes, c)
	s.notifyLocked()
	return nil, ""
}
