package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mpc-bot/mpc-bot/address"
	"github.com/mpc-bot/mpc-bot/phlo"
)

// The modal's callback and block IDs. Block IDs are what inline errors
// (response_action: errors) name, so they are part of how it behaves.
const (
	modalCallbackID = "mpc_add_modal"
	blockPeople     = "people"
	blockNumber     = "number"
	blockRole       = "role"
	blockNote       = "note"
	actionPeople    = "people_select"
	actionNumber    = "number_input"
	actionRole      = "role_select"
	actionNote      = "note_input"
	// maxMetadata is Slack's cap on private_metadata.
	maxMetadata = 3000
)

// modalOrigin travels in private_metadata: where the results go.
type modalOrigin struct {
	ChannelID   string `json:"c"`
	ThreadTS    string `json:"t,omitempty"`
	ResponseURL string `json:"r,omitempty"`
}

// addModal is the form /mpc-add (no argument) and the "Add to call"
// shortcut open.
func addModal(origin modalOrigin) slack.ModalViewRequest {
	meta, _ := json.Marshal(origin)
	if len(meta) > maxMetadata {
		// A response_url is the only long field, and the modal works
		// without it.
		origin.ResponseURL = ""
		meta, _ = json.Marshal(origin)
	}
	plain := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
	}

	people := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeUser, plain("Choose people"), actionPeople)
	maxPeople := MaxPeople
	people.MaxSelectedItems = &maxPeople
	peopleBlock := slack.NewInputBlock(blockPeople, plain("People in Slack"), plain("Dialled at the number the directory file or their Slack profile gives."), people)
	peopleBlock.Optional = true

	number := slack.NewPlainTextInputBlockElement(plain("+14155550100 or sip:alice@example.com"), actionNumber)
	number.MaxLength = 100
	numberBlock := slack.NewInputBlock(blockNumber, plain("Someone not in Slack"), plain("A phone number with its country code, or a SIP address."), number)
	numberBlock.Optional = true

	agent := slack.NewOptionBlockObject(string(phlo.RoleAgent), plain("Agent"), plain("Joins as a member of the team"))
	customer := slack.NewOptionBlockObject(string(phlo.RoleCustomer), plain("Customer"), plain("Joins as the customer"))
	role := slack.NewRadioButtonsBlockElement(actionRole, agent, customer)
	role.InitialOption = agent
	roleBlock := slack.NewInputBlock(blockRole, plain("Role"), nil, role)

	note := slack.NewPlainTextInputBlockElement(plain("e.g. the primary DB is failing over and we need a DBA"), actionNote)
	note.Multiline = true
	note.MaxLength = maxNote
	noteBlock := slack.NewInputBlock(blockNote, plain("Why do you need them?"), plain("Shown in the channel, so people know why their phone rings."), note)
	noteBlock.Optional = true

	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      modalCallbackID,
		Title:           plain("Add to the call"),
		Submit:          plain("Dial"),
		Close:           plain("Cancel"),
		PrivateMetadata: string(meta),
		Blocks:          slack.Blocks{BlockSet: []slack.Block{peopleBlock, numberBlock, roleBlock, noteBlock}},
	}
}

// openModal spends the trigger at once: it expires three seconds after
// the click.
func (b *Bot) openModal(triggerID string, origin modalOrigin, private privateReply) {
	b.background(func() {
		ctx, cancel := context.WithTimeout(b.work, 3*time.Second)
		defer cancel()
		if _, err := b.api.OpenViewContext(ctx, triggerID, addModal(origin)); err != nil {
			b.log.Error("could not open the modal", "slack_error", slackErrorCode(err), "user", private.userID)
			b.tellPrivately(ctx, private, simpleMessage(":warning: I could not open the form (Slack said `"+escape(slackErrorCode(err))+"`). Try again, or type `/mpc-add +14155550100`."), b.log)
		}
	})
}

// modalSubmission is what a submitted modal asks for.
type modalSubmission struct {
	users  []string
	number string
	role   phlo.Role
	note   string
	origin modalOrigin
}

func parseSubmission(view slack.View) (modalSubmission, error) {
	var s modalSubmission
	if err := json.Unmarshal([]byte(view.PrivateMetadata), &s.origin); err != nil || s.origin.ChannelID == "" {
		return s, fmt.Errorf("modal: private_metadata has no channel")
	}
	if view.State == nil {
		return s, fmt.Errorf("modal: no state")
	}
	v := view.State.Values
	s.users = v[blockPeople][actionPeople].SelectedUsers
	s.number = strings.TrimSpace(v[blockNumber][actionNumber].Value)
	s.note = v[blockNote][actionNote].Value
	s.role = phlo.RoleAgent
	if r, err := phlo.ParseRole(v[blockRole][actionRole].SelectedOption.Value); err == nil {
		s.role = r
	}
	return s, nil
}

// onModalSubmit validates the form before it closes: every problem comes
// back as an inline error on its field, and nothing is dialled unless the
// whole form is good. Resolving people takes Web API calls, so it runs off
// the event loop and acks when done, well inside Slack's 3 s.
func (b *Bot) onModalSubmit(smc *socketmode.Client, req *socketmode.Request, cb slack.InteractionCallback) {
	sub, err := parseSubmission(cb.View)
	if err != nil {
		b.log.Warn("malformed modal submission", "err", err)
		b.ack(smc, req, nil)
		return
	}
	b.background(func() {
		ctx, cancel := context.WithTimeout(b.work, 2500*time.Millisecond)
		defer cancel()
		r, errs := b.validateSubmission(ctx, cb.Team.ID, cb.User.ID, sub)
		if len(errs) > 0 {
			b.ack(smc, req, slack.NewErrorsViewSubmissionResponse(errs))
			return
		}
		position, ok := b.admit()
		if !ok {
			b.ack(smc, req, slack.NewErrorsViewSubmissionResponse(map[string]string{blockPeople: fmt.Sprintf("mpc-bot already has %d adds waiting. Try again in a minute.", position)}))
			return
		}
		b.ack(smc, req, nil)
		r.requestID = b.newReqID()
		r.claimKey = "view:" + cb.View.ID + ":" + cb.View.Hash
		b.enqueue(r)
	})
}

// validateSubmission resolves the form into a request, or inline errors
// keyed by block ID.
func (b *Bot) validateSubmission(ctx context.Context, teamID, userID string, sub modalSubmission) (addRequest, map[string]string) {
	errs := map[string]string{}
	var targets []Target
	for _, u := range sub.users {
		targets = append(targets, Target{UserID: u})
	}
	if sub.number != "" {
		a, err := address.Parse(sub.number, b.region)
		if err != nil {
			errs[blockNumber] = fmt.Sprintf("That is not a number or SIP address I can dial: %v.", err)
		} else {
			targets = append(targets, Target{Addr: a})
		}
	}
	if len(targets) == 0 && len(errs) == 0 {
		errs[blockPeople] = "Choose someone, or enter a number below."
		return addRequest{}, errs
	}
	if _, _, err := b.people.lookup(ctx, teamID, userID); err != nil {
		errs[blockPeople] = "Plivo needs your own number to place the call, and I don't know it: register it with /mpc-add register +14155550100, put it in your Slack profile (Profile → Edit profile → Phone), or ask an admin to add you to the directory file."
		return addRequest{}, errs
	}
	parties, missing, err := b.people.resolve(ctx, teamID, targets)
	var tooMany *TooManyPeopleError
	switch {
	case errors.As(err, &tooMany):
		errs[blockPeople] = fmt.Sprintf("That is %d people; one request dials at most %d.", tooMany.Count, MaxPeople)
	case len(missing) > 0:
		names := make([]string, len(missing))
		for i, m := range missing {
			names[i] = nameOf(m)
		}
		errs[blockPeople] = fmt.Sprintf("I know no number for %s. Remove them, or enter their number below.", strings.Join(names, ", "))
	}
	if len(errs) > 0 {
		return addRequest{}, errs
	}
	return addRequest{
		teamID:    teamID,
		channelID: sub.origin.ChannelID,
		threadTS:  sub.origin.ThreadTS,
		callerID:  userID,
		private:   privateReply{responseURL: sub.origin.ResponseURL, channelID: sub.origin.ChannelID, userID: userID, threadTS: sub.origin.ThreadTS},
		role:      sub.role,
		note:      sub.note,
		parties:   parties,
		resolved:  true,
	}, nil
}

// nameOf names an unreachable person in plain text, where mentions do not
// render (modal errors).
func nameOf(u unreachable) string {
	var na *NoAddressError
	if errors.As(u.err, &na) && na.Name != "" {
		return "@" + na.Name
	}
	return strings.Trim(u.shown.mrkdwn, "<>@*")
}
