package bot

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// handle runs on the one goroutine that drains smc.Events, so it must never
// block: it answers what it can in the ack itself and hands anything that
// needs the database or the Web API to a goroutine, which acks when done.
func (b *Bot) handle(smc *socketmode.Client, evt socketmode.Event) {
	if evt.Request != nil && evt.Request.EnvelopeID != "" {
		b.received.Store(evt.Request.EnvelopeID, receipt{at: time.Now(), typ: string(evt.Type)})
	}
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		b.setConnected(false)
		b.log.Debug("connecting to Slack")
	case socketmode.EventTypeConnected:
		b.setConnected(true)
		b.log.Info("connected to Slack over Socket Mode")
		if b.cfg.OnConnected != nil {
			b.cfg.OnConnected()
		}
	case socketmode.EventTypeConnectionError:
		b.setConnected(false)
		b.log.Warn("Slack connection failed, retrying", "err", evt.Data)
	case socketmode.EventTypeInvalidAuth:
		b.log.Error("Slack refused the app-level token")
	case socketmode.EventTypeHello:
		b.log.Debug("Slack said hello")
	case socketmode.EventTypeErrorBadMessage:
		b.onBadEnvelope(smc, evt.Data)
	case socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed:
		b.log.Warn("Socket Mode error", "type", evt.Type, "err", socketErrorCause(evt.Data))
	default:
		if evt.Request == nil || evt.Request.EnvelopeID == "" {
			b.log.Debug("ignored Socket Mode event", "type", evt.Type)
			return
		}
		if !b.route(smc, evt) {
			// Acknowledged all the same, so Slack does not re-deliver what
			// nothing here handles.
			b.ack(smc, evt.Request, nil)
			b.log.Debug("ignored envelope", "type", evt.Type)
		}
	}
}

// route hands an envelope to its handler, which acks it; false means no
// handler wants it.
func (b *Bot) route(smc *socketmode.Client, evt socketmode.Event) bool {
	switch data := evt.Data.(type) {
	case slack.SlashCommand:
		b.onSlashCommand(smc, evt.Request, data)
	case slack.InteractionCallback:
		b.onInteraction(smc, evt.Request, data)
	case slackevents.EventsAPIEvent:
		switch ev := data.InnerEvent.Data.(type) {
		case *slackevents.AppMentionEvent:
			b.onMention(smc, evt.Request, data, ev)
		case *slackevents.AppHomeOpenedEvent:
			b.onHomeOpened(smc, evt.Request, data, ev)
		case *slackevents.MessageEvent:
			if ev.ChannelType != "im" {
				return false
			}
			b.onDirectMessage(smc, evt.Request, data, ev)
		case *slackevents.FunctionExecutedEvent:
			b.onFunctionExecuted(smc, evt.Request, data, ev)
		case *slackevents.TokensRevokedEvent:
			b.onTokensRevoked(smc, evt.Request, ev)
		default:
			return false
		}
	default:
		return false
	}
	return true
}

// receipt is when and what an envelope was, until it is acked.
type receipt struct {
	at  time.Time
	typ string
}

func (b *Bot) setConnected(up bool) {
	if b.connected.Swap(up) == up {
		return
	}
	if up {
		b.obs.Connected()
	} else {
		b.obs.Disconnected()
	}
}

// ack acknowledges an envelope, with an optional response payload. It is
// safe from any goroutine.
func (b *Bot) ack(smc *socketmode.Client, req *socketmode.Request, payload any) {
	if r, ok := b.received.LoadAndDelete(req.EnvelopeID); ok {
		defer func() { b.obs.Acked(r.(receipt).typ, time.Since(r.(receipt).at)) }()
	}
	var err error
	if payload == nil {
		err = smc.Ack(*req)
	} else {
		err = smc.Ack(*req, payload)
	}
	if err != nil {
		b.log.Error("could not acknowledge envelope", "envelope_id", req.EnvelopeID, "err", err)
	}
}

// onBadEnvelope handles an envelope slack-go could not read. It is acked
// all the same, or Slack would re-deliver it for ever; only its type and
// the reason are logged, since its raw text may hold a response_url, a
// token or a typed phone number.
func (b *Bot) onBadEnvelope(smc *socketmode.Client, data any) {
	bad, ok := data.(*socketmode.ErrorBadMessage)
	if !ok {
		b.log.Warn("Socket Mode sent an envelope it could not read")
		return
	}
	var head struct {
		EnvelopeID string `json:"envelope_id"`
		Type       string `json:"type"`
	}
	_ = json.Unmarshal(bad.Message, &head)
	b.log.Warn("ignored an envelope that could not be read", "envelope_type", head.Type, "envelope_id", head.EnvelopeID, "err", bad.Cause)
	if head.EnvelopeID != "" {
		b.ack(smc, &socketmode.Request{EnvelopeID: head.EnvelopeID}, nil)
	}
}

// socketErrorCause is what may be logged of a Socket Mode error event:
// the error alone, never the response it carries (a response may hold a
// typed number).
func socketErrorCause(data any) any {
	switch e := data.(type) {
	case *socketmode.ErrorWriteFailed:
		return e.Cause
	case *slack.IncomingEventError:
		return e.ErrorObj
	}
	return fmt.Sprintf("%T", data)
}
