package bot

import (
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// shortcutCallbackID is the message shortcut "Add to call" (manifest.yaml).
const shortcutCallbackID = "mpc_add_to_call"

// onInteraction routes buttons, shortcuts and modal submissions.
func (b *Bot) onInteraction(smc *socketmode.Client, req *socketmode.Request, cb slack.InteractionCallback) {
	switch cb.Type {
	case slack.InteractionTypeViewSubmission:
		if cb.View.CallbackID == modalCallbackID {
			b.onModalSubmit(smc, req, cb)
			return
		}
	case slack.InteractionTypeMessageAction:
		if cb.CallbackID == shortcutCallbackID {
			b.ack(smc, req, nil)
			thread := threadOf(cb.Message.ThreadTimestamp, cb.Message.Timestamp)
			b.openModal(cb.TriggerID,
				modalOrigin{ChannelID: cb.Channel.ID, ThreadTS: thread, ResponseURL: cb.ResponseURL},
				privateReply{responseURL: cb.ResponseURL, channelID: cb.Channel.ID, userID: cb.User.ID, threadTS: thread})
			return
		}
	case slack.InteractionTypeBlockActions:
		for _, a := range cb.ActionCallback.BlockActions {
			if a.ActionID == retryActionID {
				b.onRetry(smc, req, cb, a)
				return
			}
		}
	}
	b.ack(smc, req, nil)
	b.log.Debug("ignored interaction", "type", cb.Type, "callback_id", cb.CallbackID)
}
