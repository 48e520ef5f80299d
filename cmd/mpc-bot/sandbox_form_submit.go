package main

import (
	"encoding/json"

	"github.com/slack-go/slack"

	"github.com/mpc-bot/mpc-bot/blocktext"
	"github.com/mpc-bot/mpc-bot/bot/slacktest"
)

// submitForm presses the submit button: required fields are checked as
// Slack's client does, then the view_submission goes out, built from the
// opened view's own blocks with the values filled in.
func (s *sandbox) submitForm() string {
	f := s.form
	for i, fi := range f.inputs {
		if !fi.block.Optional && fi.value == "" && len(fi.users) == 0 {
			fi.err = "Please complete this required field."
			f.queue = append(f.queue, i)
		}
	}
	if len(f.queue) > 0 {
		f.reviewed = false
		return ""
	}
	values := map[string]any{}
	for _, fi := range f.inputs {
		if fi.block.BlockID == "" {
			continue
		}
		values[fi.block.BlockID] = map[string]any{actionIDOf(fi.block.Element): fi.state()}
	}
	view := map[string]any{}
	for k, v := range f.fields {
		view[k] = v
	}
	view["id"], view["team_id"], view["app_id"], view["bot_id"] = f.id, slacktest.TeamID, slacktest.AppID, slacktest.BotID
	view["app_installed_team_id"], view["root_view_id"], view["previous_view_id"] = slacktest.TeamID, f.id, nil
	view["hash"] = f.id + ".sandbox"
	view["state"] = map[string]any{"values": values}
	env, err := s.fs.SendInteraction(map[string]any{
		"type":       "view_submission",
		"team":       map[string]any{"id": slacktest.TeamID, "domain": slacktest.TeamDomain},
		"user":       map[string]any{"id": sandboxYou, "username": "you", "name": "you", "team_id": slacktest.TeamID},
		"api_app_id": slacktest.AppID, "token": slacktest.VerificationToken, "trigger_id": s.fs.NewTriggerID(),
		"view": view, "response_urls": []any{}, "enterprise": nil, "is_enterprise_install": false,
	})
	if err != nil {
		s.say("form", "could not submit: "+err.Error())
		return ""
	}
	f.submitted = env
	return env
}

// closeForm presses Cancel. Slack tells the app only when the view asked
// for it (notify_on_close).
func (s *sandbox) closeForm() string {
	f := s.form
	s.form = nil
	s.say("form", "Closed; nothing was submitted.")
	if !f.view.NotifyOnClose {
		return ""
	}
	env, err := s.fs.SendInteraction(map[string]any{
		"type": "view_closed", "team": map[string]any{"id": slacktest.TeamID}, "user": map[string]any{"id": sandboxYou},
		"api_app_id": slacktest.AppID, "view": f.fields, "is_cleared": false,
	})
	if err != nil {
		s.say("form", "could not tell mpc-bot: "+err.Error())
		return ""
	}
	return env
}

// formAnswered handles the ack of a submission: inline errors keep the
// form open and ask for the fields they name again; anything else
// closes it.
func (s *sandbox) formAnswered() {
	f := s.form
	if f == nil || f.submitted == "" {
		return
	}
	var ack *slacktest.Ack
	for _, a := range s.fs.Acks() {
		if a.EnvelopeID == f.submitted {
			ack = &a
			break
		}
	}
	if ack == nil {
		return
	}
	f.submitted = ""
	var p struct {
		Action string            `json:"response_action"`
		Errors map[string]string `json:"errors"`
	}
	if len(ack.Payload) > 0 {
		_ = json.Unmarshal(ack.Payload, &p)
	}
	if p.Action != "errors" {
		s.form = nil
		s.say("form", "Submitted; mpc-bot closed the form.")
		return
	}
	for i, fi := range f.inputs {
		if msg, ok := p.Errors[fi.block.BlockID]; ok {
			fi.err = msg
			f.queue = append(f.queue, i)
			delete(p.Errors, fi.block.BlockID)
		}
	}
	lines := append(s.renderForm(f), blocktext.ContextPrefix+"mpc-bot kept the form open with errors on its fields")
	for block, msg := range p.Errors {
		lines = append(lines, "✗ ("+block+", not a field Slack can show an error on) "+msg)
	}
	s.print("form", lines)
	f.reviewed = false
}

// state is the input's entry in view.state.values, as Slack sends it.
func (fi *formInput) state() map[string]any {
	switch e := fi.block.Element.(type) {
	case *slack.PlainTextInputBlockElement:
		var v any
		if fi.value != "" {
			v = fi.value
		}
		return map[string]any{"type": e.Type, "value": v}
	case *slack.MultiSelectBlockElement:
		return map[string]any{"type": e.Type, "selected_users": append([]string{}, fi.users...)}
	case *slack.SelectBlockElement:
		if e.Type == slack.OptTypeUser {
			var u any
			if len(fi.users) > 0 {
				u = fi.users[0]
			}
			return map[string]any{"type": e.Type, "selected_user": u}
		}
		return map[string]any{"type": e.Type, "selected_option": chosen(e.Options, fi.value)}
	case *slack.RadioButtonsBlockElement:
		return map[string]any{"type": e.Type, "selected_option": chosen(e.Options, fi.value)}
	}
	return map[string]any{"type": fi.block.Element.ElementType()}
}

// chosen is the option with value, as Slack sends it back, or nil.
func chosen(opts []*slack.OptionBlockObject, value string) any {
	for _, o := range opts {
		if o.Value == value {
			return o
		}
	}
	return nil
}

// actionIDOf reads any element's action_id.
func actionIDOf(el slack.BlockElement) string {
	data, _ := json.Marshal(el)
	var a struct {
		ActionID string `json:"action_id"`
	}
	_ = json.Unmarshal(data, &a)
	return a.ActionID
}
