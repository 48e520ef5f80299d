package bot

import (
	"errors"

	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// A bot token that auth.test accepted at start and Slack refuses later was
// revoked: the app was uninstalled, or its tokens revoked or rotated. Every
// further Web API call would fail the same way, so the bot stops at the
// first sign (the tokens_revoked event, or any call answered
// token_revoked, invalid_auth, account_inactive…), says so once, and
// makes no more calls.

// onTokensRevoked handles Slack's tokens_revoked event. It lists the
// owners of the revoked tokens: user tokens under "oauth", bot tokens
// under "bot". The bot uses no user token, and its workspace has one bot
// token, so any entry under "bot" is the bot's own. The ack may not leave
// before the bot closes its socket; Slack then re-delivers the event to
// another replica, which holds the same token and should stop too.
func (b *Bot) onTokensRevoked(smc *socketmode.Client, req *socketmode.Request, ev *slackevents.TokensRevokedEvent) {
	b.ack(smc, req, nil)
	if len(ev.Tokens.Bot) == 0 {
		b.log.Debug("Slack revoked user tokens, not the bot token", "users", len(ev.Tokens.Oauth))
		return
	}
	b.botTokenRevoked("tokens_revoked event", "")
}

// checkBotToken looks at the error of a Web API call made with the bot
// token, and stops the bot if Slack refused the token. It returns err
// unchanged: return b.checkBotToken("chat.postMessage", err). It is not
// for response_url posts, which carry no token.
func (b *Bot) checkBotToken(method string, err error) error {
	if code, ok := refusedToken(err); ok {
		b.botTokenRevoked(method, code)
	}
	return err
}

// botTokenGone is the error a Web API call should end with, without
// calling Slack, once the bot token is known revoked; nil until then.
func (b *Bot) botTokenGone() error {
	var te *TokenError
	if errors.As(b.halt.reason(), &te) && te.Token == BotToken {
		return te
	}
	return nil
}

// botTokenRevoked stops the bot for good: source and code are where and
// how Slack said so (code is "" for the event).
func (b *Bot) botTokenRevoked(source, code string) {
	attrs := []any{"source", source}
	if code != "" {
		attrs = append(attrs, "slack_error", code)
	}
	b.stopFor(&TokenError{Token: BotToken, Source: source, Code: code, Revoked: true},
		"Slack revoked the bot token, so the bot stops: the app was uninstalled or its tokens were revoked; reinstall the app and use its new bot token",
		attrs...)
}
