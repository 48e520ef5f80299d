package bot

import (
	"context"
	"errors"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/mpc-bot/mpc-bot/conference"
)

// registerCallbackID is the small form the Home tab's "Register a number"
// opens.
const registerCallbackID = "mpc_register_modal"

// The Home tab's buttons. They differ from the message buttons'
// (buttons.go), which act on calls, not on the person's own settings.
const (
	actionHomeRegister   = "mpc_home_register"
	actionHomeUnregister = "mpc_home_unregister"
)

// homeTimeout bounds drawing the Home tab: the look-ups (own number,
// recent entries, bindings) and views.publish.
const homeTimeout = 10 * time.Second

// onHomeOpened draws the Home tab (views.publish) each time it is opened.
// Nothing is recorded, so it is acked at once; a re-delivered event simply
// draws again.
func (b *Bot) onHomeOpened(smc *socketmode.Client, env *socketmode.Request, outer slackevents.EventsAPIEvent, ev *slackevents.AppHomeOpenedEvent) {
	b.ack(smc, env, nil)
	if ev.Tab != "home" || ev.User == "" {
		return
	}
	who := conference.Person{Team: outer.TeamID, Enterprise: outer.EnterpriseID, User: ev.User}
	// The hash is that of the view the person saw when they opened the
	// tab: if it was drawn again since (after a change they made there),
	// Slack refuses this older drawing rather than let it win.
	hash := ""
	if ev.View != nil {
		hash = ev.View.Hash
	}
	b.spawn(func() {
		b.publishHome(who, hash, "")
	})
}

// onHomeAction handles the Home tab's buttons; false means the action is
// not one of them. Each acts on the person who pressed it, whose Home tab
// it is.
func (b *Bot) onHomeAction(smc *socketmode.Client, env *socketmode.Request, cb slack.InteractionCallback, a *slack.BlockAction) bool {
	who := conference.Person{Team: cb.Team.ID, Enterprise: cb.Enterprise.ID, User: cb.User.ID}
	switch a.ActionID {
	case actionHomeRegister:
		b.ack(smc, env, nil)
		b.openRegisterForm(cb.TriggerID, who)
	case actionHomeUnregister:
		b.spawn(func() {
			ctx, cancel := context.WithTimeout(context.Background(), submitTimeout)
			_, err := b.svc.Unregister(ctx, who)
			cancel()
			// Acked once the removal is recorded (or failed), so a crash
			// in between leaves the button to be pressed again.
			b.ack(smc, env, nil)
			notice := ""
			if err != nil {
				b.log.Error("could not remove a registered number", "user", who.User, "err", err)
				notice = ":warning: mpc-bot could not reach its database, so your number was not removed. Try again in a moment."
			} else {
				b.log.Info("removed a registered number from the Home tab", "user", who.User)
			}
			b.publishHome(who, "", notice)
		})
	default:
		return false
	}
	return true
}

// publishHome draws who's Home tab once, within homeTimeout. hash, if
// set, is the view the drawing replaces (see onHomeOpened); a drawing
// after a change passes none, since it is the newest truth. A failure is
// logged, not retried: the next open draws again.
func (b *Bot) publishHome(who conference.Person, hash, notice string) {
	ctx, cancel := context.WithTimeout(context.Background(), homeTimeout)
	defer cancel()
	st := b.homeStateOf(ctx, who)
	st.notice = notice
	req := slack.PublishViewContextRequest{UserID: who.User, View: b.homeView(st)}
	if hash != "" {
		req.Hash = &hash
	}
	_, err := b.api.PublishViewContext(ctx, req)
	var se slack.SlackErrorResponse
	switch {
	case err == nil:
	case errors.As(err, &se) && se.Err == "hash_conflict":
		b.log.Info("the Home tab was drawn again meanwhile; keeping the newer drawing", "user", who.User)
	default:
		b.log.Error("could not publish the Home tab", "user", who.User, "slack_error", slackErrorCode(err))
	}
}
