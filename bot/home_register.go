package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mpc-bot/mpc-bot/address"
	"github.com/mpc-bot/mpc-bot/conference"
)

// The register form's block and action IDs; inline errors name the block.
const (
	blockRegisterNumber  = "register_number"
	actionRegisterNumber = "register_number_input"
)

// registerModal is the form behind the Home tab's "Register a number":
// one input, checked by the same rules as `register`.
func (b *Bot) registerModal() slack.ModalViewRequest {
	input := slack.NewPlainTextInputBlockElement(plain("+14155550100 or sip:you@example.com"), actionRegisterNumber)
	input.MaxLength = 100
	hint := fmt.Sprintf("Calls you start come from this number (Plivo's trigger_source). A number without a country code is read as a %s number.", b.region)
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: registerCallbackID,
		Title:      plain("Register a number"),
		Submit:     plain("Register"),
		Close:      plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock(blockRegisterNumber, plain("Your own phone number or SIP address"), plain(hint), input),
		}},
	}
}

// openRegisterForm spends the trigger at once: it expires three seconds
// after the click. If the form cannot open, the Home tab says so.
func (b *Bot) openRegisterForm(triggerID string, who conference.Person) {
	b.spawn(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_, err := b.api.OpenViewContext(ctx, triggerID, b.registerModal())
		if err == nil {
			return
		}
		code := slackErrorCode(err)
		b.log.Error("could not open the register form", "user", who.User, "slack_error", code)
		b.publishHome(who, "", fmt.Sprintf(":warning: I could not open the form (Slack said `%s`). Try again, or type `%s register +14155550100`.", escape(code), slashCommand))
	})
}

// onRegisterSubmit checks and saves the number typed in the register form.
// A problem comes back as an inline error and the form stays open; once
// the number is saved the form closes and the Home tab shows it.
func (b *Bot) onRegisterSubmit(smc *socketmode.Client, env *socketmode.Request, cb slack.InteractionCallback) {
	typed := ""
	if cb.View.State != nil {
		typed = strings.TrimSpace(cb.View.State.Values[blockRegisterNumber][actionRegisterNumber].Value)
	}
	who := conference.Person{Team: cb.Team.ID, Enterprise: cb.Enterprise.ID, User: cb.User.ID}
	b.spawn(func() {
		ctx, cancel := context.WithTimeout(context.Background(), submitTimeout)
		defer cancel()
		if problem := b.registerTyped(ctx, who, typed); problem != "" {
			b.ack(smc, env, slack.NewErrorsViewSubmissionResponse(map[string]string{blockRegisterNumber: problem}))
			return
		}
		b.ack(smc, env, nil)
		b.publishHome(who, "", "")
	})
}

// registerTyped registers what was typed as who's own number, or says in
// plain text (inline errors show no markup) why it was not.
func (b *Bot) registerTyped(ctx context.Context, who conference.Person, typed string) string {
	if typed == "" {
		return "Enter your number with its country code, e.g. +14155550100, or a SIP address."
	}
	a, err := address.Parse(typed, b.region)
	if err != nil {
		return cut(fmt.Sprintf("%s is not a number or SIP address I can use: %v. Enter it with its country code, e.g. +14155550100.", typed, err), 1900)
	}
	saved, err := b.svc.Register(ctx, who, a)
	if err != nil {
		return cut(plainText(b.refusalMessage(err)), 1900)
	}
	b.log.Info("registered a number from the Home tab", "user", who.User, "address", saved)
	return ""
}
