package bot

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/slack-go/slack"
)

// finalPostTimeout bounds a last message, which is sent even when the
// work it reports on ran out of time, so the person always hears back.
const finalPostTimeout = 5 * time.Second

// finalContext is the context of a last message: ctx's values without its
// cancellation, and a fresh finalPostTimeout.
func finalContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), finalPostTimeout)
}

// privateReply reaches one person alone: through the response_url when
// there is one (it works in channels the bot is not in), else as an
// ephemeral message.
type privateReply struct {
	responseURL string
	channelID   string
	userID      string
	threadTS    string
	// dm is set in a direct message with the app, where a plain message
	// is as private as an ephemeral one and does not vanish.
	dm bool
}

// postInChannel posts m at channel level, or in thread threadTS when set,
// and returns the new message's ts. slack-go's retry option already waits
// out Slack's 429s.
func (b *Bot) postInChannel(ctx context.Context, channel, threadTS string, m message) (string, error) {
	if err := b.botTokenGone(); err != nil {
		return "", err
	}
	opts := m.options()
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	_, ts, err := b.api.PostMessageContext(ctx, channel, opts...)
	return ts, b.checkBotToken("chat.postMessage", err)
}

// postPrivately shows m to the invoking user alone through a response_url,
// which works where the bot is no member (private channels, DMs) and
// needs no scope. replace overwrites the message the URL came from.
func (b *Bot) postPrivately(ctx context.Context, responseURL string, m message, replace bool) error {
	if responseURL == "" {
		return errors.New("no response_url")
	}
	opts := append(m.options(), slack.MsgOptionResponseURL(responseURL, slack.ResponseTypeEphemeral))
	if replace {
		opts = append(opts, slack.MsgOptionReplaceOriginal(responseURL))
	}
	_, _, err := b.api.PostMessageContext(ctx, "", opts...)
	return err
}

// tellPrivately shows m to one person, with a fresh deadline since it is
// often the last word after ctx ended. A response_url that no longer
// works (they last 30 minutes) falls back to an ephemeral message.
func (b *Bot) tellPrivately(ctx context.Context, to privateReply, m message) {
	fctx, cancel := finalContext(ctx)
	defer cancel()
	var err error
	if to.dm {
		if _, err = b.postInChannel(fctx, to.channelID, to.threadTS, m); err != nil && !errors.Is(err, ErrTokenRevoked) {
			b.log.Error("could not answer in the direct message", "user", to.userID, "slack_error", slackErrorCode(err))
		}
		return
	}
	if to.responseURL != "" {
		if err = b.postPrivately(fctx, to.responseURL, m, false); err == nil {
			return
		}
	}
	if to.channelID != "" && to.userID != "" && b.botTokenGone() == nil {
		opts := m.options()
		if to.threadTS != "" {
			opts = append(opts, slack.MsgOptionTS(to.threadTS))
		}
		_, err = b.api.PostEphemeralContext(fctx, to.channelID, to.userID, opts...)
		err = b.checkBotToken("chat.postEphemeral", err)
	}
	if err != nil && !errors.Is(err, ErrTokenRevoked) {
		b.log.Error("could not answer the user", "user", to.userID, "slack_error", slackErrorCode(err))
	}
}

// slackErrorCode says what went wrong in a Slack call without the request
// URL, since a response_url is a bearer secret and must not reach a log.
func slackErrorCode(err error) string {
	var se slack.SlackErrorResponse
	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	var ue *url.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &se):
		return se.Err
	case errors.As(err, &rl):
		return "rate_limited"
	case errors.As(err, &sc):
		return sc.Status
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.As(err, &ue):
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}
