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
	"github.com/mpc-bot/mpc-bot/conference"
)

// The form's callback and block IDs. Block IDs are what inline errors
// (response_action: errors) name, so they are part of how it behaves.
const (
	modalCallbackID = "mpc_add_modal"
	blockPeople     = "people"
	blockNumber     = "number"
	blockRole       = "role"
	blockBridge     = "bridge"
	blockNote       = "note"
	actionPeople    = "people_select"
	actionNumber    = "number_input"
	actionRole      = "role_select"
	actionBridge    = "bridge_select"
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
// shortcut open. With more than one bridge it asks which, starting from
// the channel's.
func addModal(origin modalOrigin, bridges []conference.Bridge, current string) slack.ModalViewRequest {
	meta, _ := json.Marshal(origin)
	if len(meta) > maxMetadata {
		// A response_url is the only long field, and the form works
		// without it.
		origin.ResponseURL = ""
		meta, _ = json.Marshal(origin)
	}

	people := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeUser, plain("Choose people"), actionPeople)
	maxPeople := conference.MaxPeople
	people.MaxSelectedItems = &maxPeople
	peopleBlock := slack.NewInputBlock(blockPeople, plain("People in Slack"), plain("Dialled at the number they registered, the directory file or their Slack profile gives."), people)
	peopleBlock.Optional = true

	number := slack.NewPlainTextInputBlockElement(plain("+14155550100 or sip:alice@example.com"), actionNumber)
	number.MaxLength = 100
	numberBlock := slack.NewInputBlock(blockNumber, plain("Someone not in Slack"), plain("A phone number with its country code, or a SIP address."), number)
	numberBlock.Optional = true

	agent := slack.NewOptionBlockObject(string(conference.RoleAgent), plain("Agent"), plain("Joins as a member of the team"))
	customer := slack.NewOptionBlockObject(string(conference.RoleCustomer), plain("Customer"), plain("Joins as the customer"))
	role := slack.NewRadioButtonsBlockElement(actionRole, agent, customer)
	role.InitialOption = agent
	roleBlock := slack.NewInputBlock(blockRole, plain("Role"), nil, role)

	note := slack.NewPlainTextInputBlockElement(plain("e.g. the primary DB is failing over and we need a DBA"), actionNote)
	note.Multiline = true
	note.MaxLength = maxNote
	noteBlock := slack.NewInputBlock(blockNote, plain("Why do you need them?"), plain("Shown in the channel, so people know why their phone rings."), note)
	noteBlock.Optional = true

	blocks := []slack.Block{peopleBlock, numberBlock, roleBlock}
	if len(bridges) > 1 {
		var options []*slack.OptionBlockObject
		var initial *slack.OptionBlockObject
		for _, br := range bridges {
			desc := br.Description
			if desc == "" {
				desc = br.Name
			}
			o := slack.NewOptionBlockObject(br.Name, plain(br.Name), plain(cut(desc, 70)))
			options = append(options, o)
			if br.Name == current {
				initial = o
			}
		}
		sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose a bridge"), actionBridge, options...)
		sel.InitialOption = initial
		blocks = append(blocks, slack.NewInputBlock(blockBridge, plain("Bridge"), plain("The conference call to add them to; this channel's is chosen."), sel))
	}
	blocks = append(blocks, noteBlock)

	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      modalCallbackID,
		Title:           plain("Add to the call"),
		Submit:          plain("Dial"),
		Close:           plain("Cancel"),
		PrivateMetadata: string(meta),
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}

// openModal spends the trigger at once: it expires three seconds after
// the click.
func (b *Bot) openModal(triggerID string, origin modalOrigin, private privateReply) {
	b.spawn(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		current := ""
		bridges := b.svc.Bridges()
		if bridges.Many() {
			// A slow database must not cost the trigger: without it the
			// form starts from the default bridge.
			bctx, bcancel := context.WithTimeout(ctx, 500*time.Millisecond)
			if br, _, err := b.svc.BridgeFor(bctx, conference.Place{Channel: origin.ChannelID}, ""); err == nil {
				current = br.Name
			}
			bcancel()
		}
		if _, err := b.api.OpenViewContext(ctx, triggerID, addModal(origin, bridges.All(), current)); err != nil {
			b.log.Error("could not open the form", "slack_error", slackErrorCode(err), "user", private.userID)
			b.tellPrivately(ctx, private, simpleMessage(":warning: I could not open the form (Slack said `"+escape(slackErrorCode(err))+"`). Try again, or type `/mpc-add +14155550100`."))
		}
	})
}

// modalSubmission is what a submitted form asks for.
type modalSubmission struct {
	users  []string
	number string
	role   conference.Role
	bridge string
	note   string
	origin modalOrigin
}

func parseSubmission(view slack.View) (modalSubmission, error) {
	var s modalSubmission
	if err := json.Unmarshal([]byte(view.PrivateMetadata), &s.origin); err != nil || s.origin.ChannelID == "" {
		return s, fmt.Errorf("form: private_metadata has no channel")
	}
	if view.State == nil {
		return s, fmt.Errorf("form: no state")
	}
	v := view.State.Values
	s.users = v[blockPeople][actionPeople].SelectedUsers
	s.number = strings.TrimSpace(v[blockNumber][actionNumber].Value)
	s.note = v[blockNote][actionNote].Value
	s.bridge = v[blockBridge][actionBridge].SelectedOption.Value
	s.role = conference.RoleAgent
	if r, err := conference.ParseRole(v[blockRole][actionRole].SelectedOption.Value); err == nil {
		s.role = r
	}
	return s, nil
}

// onModalSubmit checks every rule before the form closes: each problem
// comes back as an inline error on its field, and the form closes only on
// a request that was recorded. The look-ups take Web API calls, so it runs
// off the event loop and acks when done, well inside Slack's 3 s.
func (b *Bot) onModalSubmit(smc *socketmode.Client, env *socketmode.Request, cb slack.InteractionCallback) {
	sub, err := parseSubmission(cb.View)
	if err != nil {
		// The form stays open and says so, rather than closing as if
		// something were dialled.
		b.log.Warn("malformed form submission", "err", err)
		b.ack(smc, env, slack.NewErrorsViewSubmissionResponse(map[string]string{
			blockPeople: "This form no longer knows where it was opened. Close it and run /mpc-add again.",
		}))
		return
	}
	b.spawn(func() {
		ctx, cancel := context.WithTimeout(context.Background(), submitTimeout)
		defer cancel()
		who := conference.Person{Team: cb.Team.ID, Enterprise: cb.Enterprise.ID, User: cb.User.ID}
		req, errs := b.checkSubmission(ctx, who, sub)
		if len(errs) > 0 {
			b.ack(smc, env, slack.NewErrorsViewSubmissionResponse(errs))
			return
		}
		req.Key = "view:" + cb.View.ID + ":" + cb.View.Hash
		receipt, err := b.svc.Submit(ctx, req)
		if err != nil && !errors.Is(err, conference.ErrDuplicate) {
			m, _ := b.admissionMessage(receipt, err, req)
			b.ack(smc, env, slack.NewErrorsViewSubmissionResponse(map[string]string{blockPeople: textOf(m.Text)}))
			return
		}
		b.ack(smc, env, nil)
		if m, ok := b.admissionMessage(receipt, err, req); ok {
			b.tellPrivately(ctx, routeFromOrigin(sub.origin, who.User).private(), m)
		}
	})
}

// checkSubmission turns the form into a request, or into inline errors
// keyed by block ID: every rule the service applies is checked here first
// (PreviewAdd), so nothing is refused after the form has closed.
func (b *Bot) checkSubmission(ctx context.Context, who conference.Person, sub modalSubmission) (conference.Request, map[string]string) {
	errs := map[string]string{}
	var targets []conference.Target
	for _, u := range sub.users {
		targets = append(targets, conference.UserTarget(u))
	}
	var typed address.Address
	if sub.number != "" {
		a, err := address.Parse(sub.number, b.region)
		if err != nil {
			errs[blockNumber] = fmt.Sprintf("That is not a number or SIP address I can dial: %v.", err)
		} else {
			typed = a
			targets = append(targets, conference.NumberTarget(a))
		}
	}
	if len(targets) == 0 && len(errs) == 0 {
		errs[blockPeople] = "Choose someone, or enter a number below."
	}
	if len(errs) > 0 {
		return conference.Request{}, errs
	}
	rt := routeFromOrigin(sub.origin, who.User)
	req := conference.Request{
		Kind: conference.KindAdd, By: who,
		Place: conference.Place{Team: who.Team, Channel: sub.origin.ChannelID, Thread: sub.origin.ThreadTS},
		Reply: rt.encode(), Targets: targets, Role: sub.role, Note: sub.note, Bridge: sub.bridge,
	}
	preview, err := b.svc.PreviewAdd(ctx, req)
	if err != nil {
		field := blockPeople
		var ub *conference.UnknownBridgeError
		if errors.As(err, &ub) {
			field = blockBridge
		}
		errs[field] = plainText(b.refusalMessage(err))
		return conference.Request{}, errs
	}
	rn := b.renderer()
	var people, number []string
	for _, u := range preview.Unreachable {
		line := plainText(simpleMessage(rn.target(u.Target) + ": " + rn.whyUnreachable(u)))
		if !typed.IsZero() && u.Target.User == "" && u.Target.Address.String() == typed.String() {
			number = append(number, line)
		} else {
			people = append(people, b.nameOf(ctx, who.Team, u.Target)+strings.TrimPrefix(line, rn.target(u.Target)))
		}
	}
	if len(people) > 0 {
		errs[blockPeople] = cut("Remove them, or enter a number below. "+strings.Join(people, "; "), 1900)
	}
	if len(number) > 0 {
		errs[blockNumber] = cut(strings.Join(number, "; "), 1900)
	}
	if len(errs) > 0 {
		return conference.Request{}, errs
	}
	return req, nil
}

// routeFromOrigin is where a form's results go.
func routeFromOrigin(o modalOrigin, user string) route {
	return route{Channel: o.ChannelID, Thread: o.ThreadTS, User: user, ResponseURL: o.ResponseURL}
}

// nameOf names a target in plain text, where mentions do not render
// (inline errors).
func (b *Bot) nameOf(ctx context.Context, team string, t conference.Target) string {
	if t.User == "" {
		return plainText(simpleMessage(b.renderer().target(t)))
	}
	if p, err := b.workspace.Profile(ctx, team, t.User); err == nil && p.Name != "" {
		return "@" + p.Name
	}
	return "<@" + t.User + ">"
}

// plainText is a message's fallback text without markup, for inline
// errors, which Slack shows as plain text.
func plainText(m message) string {
	s := strings.NewReplacer("`", "", "&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(m.Text)
	for _, emoji := range []string{":warning: ", ":no_entry: ", ":bust_in_silhouette: ", ":hourglass: "} {
		s = strings.TrimPrefix(s, emoji)
	}
	return s
}
