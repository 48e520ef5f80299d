package bot

import (
	"context"
	"errors"
	"net/url"

	"github.com/slack-go/slack"
)

// postInChannel posts m at channel level, or in thread threadTS when set,
// and returns the new message's ts. slack-go's retry option already waits
// out Slack's 429s.
func (b *Bot) postInChannel(ctx context.Context, channel, threadTS string, m message) (string, error) {
	opts := m.options()
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	_, ts, err := b.api.PostMessageContext(ctx, channel, opts...)
	return ts, err
}

// postPrivately shows m to the invoking user alone through the command's
// response_url, which works where the bot is no member (private channels,
// DMs) and needs no scope.
func (b *Bot) postPrivately(ctx context.Context, responseURL string, m message) error {
	if responseURL == "" {
		return errors.New("no response_url")
	}
	opts := append(m.options(), slack.MsgOptionResponseURL(responseURL, slack.ResponseTypeEphemeral))
	_, _, err := b.api.PostMessageContext(ctx, "", opts...)
	return err
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
