package main

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/mpc-bot/mpc-bot/blocktext"
	"github.com/mpc-bot/mpc-bot/bot/slacktest"
)

// form is an open modal the person fills in field by field, as Slack's
// client would let them: it checks what the client checks (required
// fields, lengths, choices), and leaves the rest to mpc-bot, whose inline
// errors come back in the submission's ack.
type form struct {
	id     string
	fields map[string]json.RawMessage // the view as opened, sent back on submit
	view   slack.View
	inputs []*formInput
	// queue lists the inputs still to ask, by index; when it is empty the
	// person is asked to submit.
	queue []int
	// reviewed is set once the filled form was shown before submitting.
	reviewed bool
	// submitted is the envelope of a submission whose ack is awaited.
	submitted string
}

// formInput is one input block and what the person put in it.
type formInput struct {
	block *slack.InputBlock
	// value is the text typed, or the chosen option's value.
	value string
	users []string
	err   string
}

// openForm shows a view mpc-bot opened and starts asking its fields.
func (s *sandbox) openForm(v slacktest.View) {
	var fields map[string]json.RawMessage
	var view slack.View
	if err := json.Unmarshal(v.View, &fields); err != nil {
		s.say("form", "mpc-bot opened a form the sandbox cannot read: "+err.Error())
		return
	}
	if err := json.Unmarshal(v.View, &view); err != nil {
		s.say("form", "mpc-bot opened a form the sandbox cannot read: "+err.Error())
		return
	}
	f := &form{id: v.ID, fields: fields, view: view}
	for _, blk := range view.Blocks.BlockSet {
		in, ok := blk.(*slack.InputBlock)
		if !ok {
			continue
		}
		fi := &formInput{block: in}
		switch e := in.Element.(type) {
		case *slack.PlainTextInputBlockElement:
			fi.value = e.InitialValue
		case *slack.MultiSelectBlockElement:
			fi.users = slices.Clone(e.InitialUsers)
		case *slack.SelectBlockElement:
			if e.InitialOption != nil {
				fi.value = e.InitialOption.Value
			}
			if e.InitialUser != "" {
				fi.users = []string{e.InitialUser}
			}
		case *slack.RadioButtonsBlockElement:
			if e.InitialOption != nil {
				fi.value = e.InitialOption.Value
			}
		}
		f.queue = append(f.queue, len(f.inputs))
		f.inputs = append(f.inputs, fi)
	}
	how := "opened"
	if v.Method == "views.update" {
		how = "changed"
	}
	s.form = f
	s.print("form", append(s.renderForm(f), blocktext.ContextPrefix+"mpc-bot "+how+" this form ("+v.Method+")"))
}

// renderForm shows the form with what was filled in and any errors.
func (s *sandbox) renderForm(f *form) []string {
	lines := []string{"━━ " + s.names.Text(f.view.Title) + " ━━"}
	inputs := 0
	for _, blk := range f.view.Blocks.BlockSet {
		in, ok := blk.(*slack.InputBlock)
		if !ok {
			lines = append(lines, s.names.Blocks([]slack.Block{blk}, nil)...)
			continue
		}
		fi := f.inputs[inputs]
		inputs++
		lines = append(lines, s.names.Input(in, s.shownValue(fi))...)
		if fi.err != "" {
			lines = append(lines, "  ✗ "+fi.err)
		}
	}
	var buttons []string
	if f.view.Close != nil {
		buttons = append(buttons, "["+s.names.Text(f.view.Close)+"]")
	}
	if f.view.Submit != nil {
		buttons = append(buttons, "["+s.names.Text(f.view.Submit)+"]")
	}
	return append(lines, strings.Join(buttons, "  "))
}

// shownValue is what an input's control shows.
func (s *sandbox) shownValue(fi *formInput) string {
	if len(fi.users) > 0 {
		names := make([]string, len(fi.users))
		for i, u := range fi.users {
			names[i] = "@" + s.names.User(u)
		}
		return strings.Join(names, ", ")
	}
	return fi.value
}

// prompt asks for what the person must type next, if anything.
func (s *sandbox) prompt() {
	f := s.form
	if f == nil || s.confirming != nil || f.submitted != "" {
		return
	}
	if len(f.queue) > 0 {
		s.ask(f.inputs[f.queue[0]])
		return
	}
	if !f.reviewed {
		f.reviewed = true
		s.print("form", s.renderForm(f))
	}
	submit := "submit"
	if f.view.Submit != nil {
		submit = "submit (the " + s.names.Text(f.view.Submit) + " button)"
	}
	s.print("form", []string{"? Type " + submit + ", cancel to close the form, or a field to change it: " + strings.Join(f.fieldNames(), ", ") + "."})
}

func (f *form) fieldNames() []string {
	names := make([]string, len(f.inputs))
	for i, fi := range f.inputs {
		names[i] = fi.block.BlockID
	}
	return names
}

// ask prompts for one input: what it wants, and what it holds now.
func (s *sandbox) ask(fi *formInput) {
	label := s.names.Text(fi.block.Label)
	if fi.block.Optional {
		label += " (optional)"
	}
	var how string
	switch e := fi.block.Element.(type) {
	case *slack.PlainTextInputBlockElement:
		how = "type it"
		if e.Placeholder != nil {
			how = "e.g. " + strings.TrimPrefix(s.names.Text(e.Placeholder), "e.g. ")
		}
	case *slack.MultiSelectBlockElement:
		how = "names, e.g. @alice @bob"
	case *slack.SelectBlockElement:
		how = "one of " + s.optionList(e.Options)
		if e.Type == slack.OptTypeUser {
			how = "a name, e.g. @alice"
		}
	case *slack.RadioButtonsBlockElement:
		how = "one of " + s.optionList(e.Options)
	default:
		how = "the sandbox cannot fill this kind of field; press Enter"
	}
	now := s.shownValue(fi)
	if now == "" {
		now = "empty"
	}
	line := "? " + label + " — " + how + ". Now: " + now + "."
	if fi.err != "" {
		line = "? " + label + " — fix it: " + strings.TrimSuffix(fi.err, ".") + ". Now: " + now + "."
	}
	s.print("form", []string{line})
}

func (s *sandbox) optionList(opts []*slack.OptionBlockObject) string {
	parts := make([]string, len(opts))
	for i, o := range opts {
		parts[i] = o.Value
		if o.Description != nil {
			parts[i] += " (" + s.names.Text(o.Description) + ")"
		}
	}
	return strings.Join(parts, ", ")
}
