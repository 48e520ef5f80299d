// Package blocktext renders Slack Block Kit as plain text, the way a
// person would read the message in Slack: for a terminal (the sandbox)
// and for test failures, where JSON hides what people see.
//
// Every block becomes one or more lines. Context lines start with
// ContextPrefix; buttons show as "[key] Label", where the caller chooses
// the key (so a person can type it to press the button), and a button
// that asks for confirmation first says so. Form inputs show their label,
// their control and their hint.
package blocktext

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"
)

// ContextPrefix starts every line of a context block: Slack shows those
// small and grey.
const ContextPrefix = "· "

// Keyer names the key that presses a button ("3"), or "" to show the
// button without one. blockID is the block the button is in.
type Keyer func(blockID string, b *slack.ButtonBlockElement) string

// Blocks renders blocks as lines. key may be nil.
func (n Names) Blocks(blocks []slack.Block, key Keyer) []string {
	var out []string
	for _, blk := range blocks {
		out = append(out, n.block(blk, key)...)
	}
	return out
}

// Message renders a message: its blocks, or its text when it has none.
func (n Names) Message(text string, blocks []slack.Block, key Keyer) []string {
	if len(blocks) == 0 {
		return strings.Split(n.Mrkdwn(text), "\n")
	}
	return n.Blocks(blocks, key)
}

// Text renders a text object: mrkdwn through Mrkdwn, plain text as is.
func (n Names) Text(t *slack.TextBlockObject) string {
	if t == nil {
		return ""
	}
	if t.Type == slack.MarkdownType {
		return n.Mrkdwn(t.Text)
	}
	return t.Text
}

func (n Names) block(blk slack.Block, key Keyer) []string {
	switch b := blk.(type) {
	case *slack.SectionBlock:
		var out []string
		if b.Text != nil {
			out = append(out, strings.Split(n.Text(b.Text), "\n")...)
		}
		for i := 0; i < len(b.Fields); i += 2 {
			row := n.Text(b.Fields[i])
			if i+1 < len(b.Fields) {
				row += "   │ " + n.Text(b.Fields[i+1])
			}
			out = append(out, strings.Split(row, "\n")...)
		}
		if b.Accessory != nil {
			if el := accessoryElement(b.Accessory); el != nil {
				out = append(out, n.element(b.BlockID, el, key))
			}
		}
		return out
	case *slack.ContextBlock:
		var parts []string
		for _, el := range b.ContextElements.Elements {
			switch e := el.(type) {
			case *slack.TextBlockObject:
				parts = append(parts, n.Text(e))
			case *slack.ImageBlockElement:
				parts = append(parts, "["+e.AltText+"]")
			}
		}
		return prefixed(ContextPrefix, strings.Join(parts, "  "))
	case *slack.ActionBlock:
		var parts []string
		for _, el := range b.Elements.ElementSet {
			parts = append(parts, n.element(b.BlockID, el, key))
		}
		return []string{strings.Join(parts, "   ")}
	case *slack.DividerBlock:
		return []string{strings.Repeat("─", 24)}
	case *slack.HeaderBlock:
		return []string{"━━ " + n.Text(b.Text) + " ━━"}
	case *slack.ImageBlock:
		return []string{"[image: " + b.AltText + "]"}
	case *slack.MarkdownBlock:
		return strings.Split(b.Text, "\n")
	case *slack.InputBlock:
		return n.Input(b, "")
	}
	return []string{fmt.Sprintf("[%s block]", blk.BlockType())}
}

// Input renders a form field: its label (and whether it may stay empty),
// its control showing value (or what the form starts with when value is
// ""), and its hint. For a select or radio buttons, value is the chosen
// option's value; for the others, the text to show.
func (n Names) Input(b *slack.InputBlock, value string) []string {
	label := n.Text(b.Label)
	if b.Optional {
		label += " (optional)"
	}
	out := []string{label + ": " + n.control(b.Element, value)}
	if b.Hint != nil {
		out = append(out, prefixed(ContextPrefix, n.Text(b.Hint))...)
	}
	return out
}

// control is a form control with its current value.
func (n Names) control(el slack.BlockElement, value string) string {
	switch e := el.(type) {
	case *slack.PlainTextInputBlockElement:
		if value == "" {
			value = e.InitialValue
		}
		if value == "" {
			return "[ " + n.Text(e.Placeholder) + " ]"
		}
		return "[ " + value + " ]"
	case *slack.MultiSelectBlockElement:
		if value == "" {
			return "[ " + n.Text(e.Placeholder) + " ▾ ]"
		}
		return "[ " + value + " ▾ ]"
	case *slack.SelectBlockElement:
		if value == "" && e.InitialOption != nil {
			value = e.InitialOption.Value
		}
		shown := n.Text(e.Placeholder)
		for _, o := range e.Options {
			if o.Value == value {
				shown = n.Text(o.Text)
			}
		}
		return "[ " + shown + " ▾ ]  of " + n.optionNames(e.Options)
	case *slack.RadioButtonsBlockElement:
		var parts []string
		for _, o := range e.Options {
			on := o.Value == value || (value == "" && e.InitialOption != nil && e.InitialOption.Value == o.Value)
			mark := "( )"
			if on {
				mark = "(•)"
			}
			parts = append(parts, mark+" "+n.Text(o.Text))
		}
		return strings.Join(parts, "  ")
	}
	return fmt.Sprintf("[%s]", el.ElementType())
}

func (n Names) optionNames(opts []*slack.OptionBlockObject) string {
	names := make([]string, len(opts))
	for i, o := range opts {
		names[i] = n.Text(o.Text)
	}
	return strings.Join(names, ", ")
}

// element renders one interactive element of an actions block or an
// accessory.
func (n Names) element(blockID string, el slack.BlockElement, key Keyer) string {
	switch e := el.(type) {
	case *slack.ButtonBlockElement:
		s := n.Text(e.Text)
		if key != nil {
			if k := key(blockID, e); k != "" {
				s = "[" + k + "] " + s
			}
		}
		if e.URL != "" {
			s += " → " + e.URL
		}
		if e.Confirm != nil {
			s += " (asks first: " + n.Text(e.Confirm.Title) + ")"
		}
		return s
	case *slack.ImageBlockElement:
		return "[image: " + e.AltText + "]"
	case *slack.SelectBlockElement:
		return "[" + n.Text(e.Placeholder) + " ▾]"
	case *slack.OverflowBlockElement:
		return "[⋯]"
	}
	return fmt.Sprintf("[%s]", el.ElementType())
}

// accessoryElement is the one element an accessory holds.
func accessoryElement(a *slack.Accessory) slack.BlockElement {
	switch {
	case a.ButtonElement != nil:
		return a.ButtonElement
	case a.ImageElement != nil:
		return a.ImageElement
	case a.SelectElement != nil:
		return a.SelectElement
	case a.OverflowElement != nil:
		return a.OverflowElement
	}
	return nil
}

// prefixed puts prefix before every line of s.
func prefixed(prefix, s string) []string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return lines
}

// Confirmation renders a button's confirm dialog: title, text and the two
// choices.
func (n Names) Confirmation(c *slack.ConfirmationBlockObject) []string {
	if c == nil {
		return nil
	}
	deny := "Cancel"
	if c.Deny != nil {
		deny = n.Text(c.Deny)
	}
	out := []string{n.Text(c.Title)}
	out = append(out, strings.Split(n.Text(c.Text), "\n")...)
	return append(out, "["+n.Text(c.Confirm)+"]  ["+deny+"]")
}
