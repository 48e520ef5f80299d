package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// answerForm takes one line while the form is open; it returns the
// envelope of a submission or of a close, "" otherwise.
func (s *sandbox) answerForm(line string) string {
	f := s.form
	if strings.EqualFold(line, "cancel") {
		return s.closeForm()
	}
	if len(f.queue) > 0 {
		fi := f.inputs[f.queue[0]]
		if err := s.fill(fi, line); err != nil {
			fi.err = err.Error()
			return ""
		}
		fi.err = ""
		f.queue = f.queue[1:]
		return ""
	}
	word := strings.ToLower(line)
	if word == "submit" || (f.view.Submit != nil && word == strings.ToLower(s.names.Text(f.view.Submit))) {
		return s.submitForm()
	}
	for i, fi := range f.inputs {
		if strings.EqualFold(fi.block.BlockID, line) || strings.EqualFold(s.names.Text(fi.block.Label), line) {
			f.queue = append(f.queue, i)
			f.reviewed = false
			return ""
		}
	}
	s.say("form", "✗ The form is open: type submit, cancel, or a field's name.")
	return ""
}

// fill puts one answer into an input, checking what Slack's client
// checks before it lets the form be submitted.
func (s *sandbox) fill(fi *formInput, line string) error {
	if line == "" {
		return nil // keeps what is there
	}
	if line == "-" {
		if !fi.block.Optional {
			return fmt.Errorf("this field is required")
		}
		fi.value, fi.users = "", nil
		return nil
	}
	switch e := fi.block.Element.(type) {
	case *slack.PlainTextInputBlockElement:
		n := utf8.RuneCountInString(line)
		if e.MaxLength > 0 && n > e.MaxLength {
			return fmt.Errorf("at most %d characters, please (that was %d)", e.MaxLength, n)
		}
		if n < e.MinLength {
			return fmt.Errorf("at least %d characters, please", e.MinLength)
		}
		fi.value = line
	case *slack.MultiSelectBlockElement:
		if e.Type != slack.MultiOptTypeUser {
			return fmt.Errorf("the sandbox cannot fill a %s", e.Type)
		}
		users, err := pickUsers(line)
		if err != nil {
			return err
		}
		if e.MaxSelectedItems != nil && len(users) > *e.MaxSelectedItems {
			return fmt.Errorf("at most %d people", *e.MaxSelectedItems)
		}
		fi.users = users
	case *slack.SelectBlockElement:
		if e.Type == slack.OptTypeUser {
			users, err := pickUsers(line)
			if err != nil {
				return err
			}
			if len(users) != 1 {
				return fmt.Errorf("one person, please")
			}
			fi.users = users
			return nil
		}
		o, err := pickOption(e.Options, line)
		if err != nil {
			return err
		}
		fi.value = o.Value
	case *slack.RadioButtonsBlockElement:
		o, err := pickOption(e.Options, line)
		if err != nil {
			return err
		}
		fi.value = o.Value
	default:
		return fmt.Errorf("the sandbox cannot fill a %s; press Enter to leave it", fi.block.Element.ElementType())
	}
	return nil
}

// pickUsers finds the people named, as Slack's people picker would: it
// lists people only, never user groups.
func pickUsers(line string) ([]string, error) {
	var ids []string
	for _, w := range strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == ',' }) {
		name := strings.TrimPrefix(w, "@")
		if name == sandboxGroupName {
			return nil, fmt.Errorf("@%s is a user group, and the picker lists people only (type /mpc-add @%s instead)", name, name)
		}
		u, ok := sandboxUser(name)
		if !ok {
			return nil, fmt.Errorf("nobody here is called %s: there are @you, @alice, @bob and @carol", w)
		}
		if !slices.Contains(ids, u.ID) {
			ids = append(ids, u.ID)
		}
	}
	return ids, nil
}

// pickOption finds an option by value, text or number (1 is the first).
func pickOption(opts []*slack.OptionBlockObject, line string) (*slack.OptionBlockObject, error) {
	if n, err := strconv.Atoi(line); err == nil && n >= 1 && n <= len(opts) {
		return opts[n-1], nil
	}
	names := make([]string, len(opts))
	for i, o := range opts {
		if strings.EqualFold(o.Value, line) || (o.Text != nil && strings.EqualFold(o.Text.Text, line)) {
			return o, nil
		}
		names[i] = o.Value
	}
	return nil, fmt.Errorf("choose one of %s", strings.Join(names, ", "))
}
