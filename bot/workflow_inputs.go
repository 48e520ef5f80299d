package bot

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mpc-bot/mpc-bot/conference"
)

// The Workflow Builder step's callback_id and the names of its inputs and
// outputs are a public contract, declared in manifest.workflows.yaml (a
// test compares them): workflows people built name them.
const (
	stepCallbackID = "mpc_add_to_call_step"

	stepInPeople      = "people"
	stepInNumbers     = "numbers"
	stepInRole        = "role"
	stepInBridge      = "bridge"
	stepInNote        = "note"
	stepInChannel     = "channel"
	stepInRequestedBy = "requested_by"

	stepOutDialled   = "dialled_count"
	stepOutAPIIDs    = "api_ids"
	stepOutFailed    = "failed"
	stepOutRequestID = "request_id"
)

var (
	userIDPattern    = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	channelIDPattern = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)
	// numberSeparators split the Numbers input into numbers: a workflow
	// author may list them one a line or with commas, where the command
	// takes spaces and a "+" to start each.
	numberSeparators = regexp.MustCompile(`[,;\n]+`)
)

// stepInputs are one run's inputs, checked.
type stepInputs struct {
	// By is the person the step dials on behalf of (Requested by).
	By      string
	Channel string
	Targets []conference.Target
	Role    conference.Role
	Bridge  string
	Note    string
}

// parseStepInputs reads and checks the inputs of one run. Its errors are
// *UsageError, written for the workflow's author, who reads them in the
// workflow's activity.
func parseStepInputs(in map[string]any, region string) (stepInputs, error) {
	var s stepInputs
	by, err := stepString(in, stepInRequestedBy, "Requested by")
	switch {
	case err != nil:
		return s, err
	case by == "":
		return s, usageErrorf("Add to call needs to know on whose behalf it dials: set the step's *Requested by* input (usually “Person who used this workflow”). Plivo places the call from that person's own number, and the audit trail names them. Nothing was dialled.")
	case !userIDPattern.MatchString(by):
		return s, usageErrorf("The step's *Requested by* input is not a Slack user (it is %s). Nothing was dialled.", quote(by))
	}
	s.By = by

	if s.Channel, err = stepString(in, stepInChannel, "Channel"); err != nil {
		return s, err
	}
	if s.Channel != "" && !channelIDPattern.MatchString(s.Channel) {
		return s, usageErrorf("The step's *Channel* input is not a Slack channel (it is %s). Nothing was dialled.", quote(s.Channel))
	}

	people, err := stepPeople(in)
	if err != nil {
		return s, err
	}
	numbers, err := stepNumbers(in, region)
	if err != nil {
		return s, err
	}
	s.Targets = append(people, numbers...)
	switch n := len(s.Targets); {
	case n == 0:
		return s, usageErrorf("The step names nobody to dial: fill in *People* or *Numbers*. Nothing was dialled.")
	case n > conference.MaxPeople:
		return s, usageErrorf("The step names %d people and numbers; one request dials at most %d. Nothing was dialled: split them over two steps.", n, conference.MaxPeople)
	}

	role, err := stepString(in, stepInRole, "Role")
	if err != nil {
		return s, err
	}
	s.Role = conference.RoleAgent
	if role != "" {
		if s.Role, err = conference.ParseRole(role); err != nil {
			return s, usageErrorf("The step's *Role* input is %s; use `agent` or `customer` (or leave it empty for agent). Nothing was dialled.", quote(role))
		}
	}

	bridge, err := stepString(in, stepInBridge, "Bridge")
	if err != nil {
		return s, err
	}
	if bridge != "" {
		s.Bridge = strings.ToLower(bridge)
		if !conference.ValidBridgeName(s.Bridge) {
			return s, usageErrorf("The step's *Bridge* input, %s, is not a bridge name. `/mpc-add bridge` lists them. Nothing was dialled.", quote(bridge))
		}
	}

	note, err := stepString(in, stepInNote, "Note")
	if err != nil {
		return s, err
	}
	s.Note = cut(note, maxNote)
	return s, nil
}

// stepString reads an optional text input, trimmed; absent and null are "".
func stepString(in map[string]any, name, title string) (string, error) {
	switch v := in[name].(type) {
	case nil:
		return "", nil
	case string:
		return strings.TrimSpace(v), nil
	default:
		return "", usageErrorf("The step's *%s* input should be text, but Workflow Builder passed %s. Nothing was dialled.", title, jsonKind(v))
	}
}

// stepPeople reads the People input: a list of user IDs (one ID alone is
// taken too). Each person is named once.
func stepPeople(in map[string]any) ([]conference.Target, error) {
	var ids []string
	switch v := in[stepInPeople].(type) {
	case nil:
	case string:
		if v = strings.TrimSpace(v); v != "" {
			ids = []string{v}
		}
	case []any:
		for _, item := range v {
			id, ok := item.(string)
			if !ok {
				return nil, usageErrorf("The step's *People* input should list Slack users, but one of them is %s. Nothing was dialled.", jsonKind(item))
			}
			ids = append(ids, strings.TrimSpace(id))
		}
	default:
		return nil, usageErrorf("The step's *People* input should list Slack users, but Workflow Builder passed %s. Nothing was dialled.", jsonKind(v))
	}
	var targets []conference.Target
	var seen []string
	for _, id := range ids {
		if !userIDPattern.MatchString(id) {
			return nil, usageErrorf("The step's *People* input holds %s, which is not a Slack user. Nothing was dialled.", quote(id))
		}
		if slices.Contains(seen, id) {
			continue
		}
		seen = append(seen, id)
		targets = append(targets, conference.UserTarget(id))
	}
	return targets, nil
}

// stepNumbers reads the Numbers input with the command's grammar for
// numbers and SIP addresses; numbers may also be separated by commas or
// put one a line.
func stepNumbers(in map[string]any, region string) ([]conference.Target, error) {
	text, err := stepString(in, stepInNumbers, "Numbers")
	if err != nil || text == "" {
		return nil, err
	}
	if len(text) > maxCommandText {
		return nil, usageErrorf("The step's *Numbers* input is too long (%d characters; at most %d). Nothing was dialled.", utf8.RuneCountInString(text), maxCommandText)
	}
	if !utf8.ValidString(text) {
		return nil, usageErrorf("The step's *Numbers* input is not valid UTF-8, so no number can be read from it. Nothing was dialled.")
	}
	for _, r := range text {
		if unicode.IsControl(r) && !unicode.IsSpace(r) {
			return nil, usageErrorf("The step's *Numbers* input contains control characters (U+%04X), which never appear in a number. Nothing was dialled.", r)
		}
	}
	var targets []conference.Target
	for _, part := range numberSeparators.Split(unwrapLinks(text), -1) {
		words := strings.Fields(part)
		if len(words) == 0 {
			continue
		}
		ts, err := parseTargets(words, region)
		if err != nil {
			// The command's usage line speaks of /mpc-add, not of the step.
			msg := strings.TrimSpace(strings.ReplaceAll(asUsageError(err).Message, usageLine, ""))
			return nil, usageErrorf("The step's *Numbers* input: %s Nothing was dialled.", msg)
		}
		targets = append(targets, ts...)
	}
	return targets, nil
}

// jsonKind names the JSON type of an input value, for messages.
func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "text"
	case bool:
		return "true or false"
	case float64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}
