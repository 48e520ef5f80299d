package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/slack-go/slack"
)

// Why Run ends. Each says what failed, so that main tells an operator the
// one thing to fix: a token, the app's settings in Slack, or the network.

// ErrSlackAuth matches (errors.Is) every error Run returns because Slack
// refused a token; errors.As with *TokenError says which token and where.
var ErrSlackAuth = errors.New("slack refused a token")

// ErrTokenRevoked matches a TokenError for a token that worked earlier in
// this run and then stopped: the app was uninstalled or its tokens were
// revoked or rotated. Restarting with the same token cannot help.
var ErrTokenRevoked = errors.New("slack revoked a token")

// ErrSocketModeDisabled is returned by Run when Slack ends the session
// because someone turned Socket Mode off in the app's settings. Slack then
// refuses new connections, so reconnecting would only loop.
var ErrSocketModeDisabled = errors.New("the app's Socket Mode is turned off: turn it back on at https://api.slack.com/apps → your app → Socket Mode")

// ErrSlackUnreachable is returned by Run when auth.test gets no answer
// from Slack: the network, DNS, a proxy or Slack itself, not the tokens.
var ErrSlackUnreachable = errors.New("cannot reach Slack")

// Token names one of the app's two Slack credentials.
type Token string

const (
	// BotToken (xoxb-…) signs auth.test and every Web API call.
	BotToken Token = "bot token"
	// AppToken (xapp-…, scope connections:write) opens Socket Mode
	// connections through apps.connections.open.
	AppToken Token = "app-level token"
)

// TokenError is Slack refusing one of the tokens. It matches ErrSlackAuth,
// and ErrTokenRevoked when Revoked.
type TokenError struct {
	Token Token
	// Source is where Slack said so: a Web API method ("auth.test",
	// "apps.connections.open", "chat.postMessage") or "tokens_revoked
	// event".
	Source string
	// Code is Slack's error code (invalid_auth, token_revoked,
	// account_inactive, not_authed) or "HTTP 404"; "" for the event.
	Code string
	// Revoked is set when the token had worked earlier in this run.
	Revoked bool
}

func (e *TokenError) Error() string {
	verb := "refused"
	if e.Revoked {
		verb = "revoked"
	}
	where := e.Source
	if e.Code != "" {
		where += ": " + e.Code
	}
	return fmt.Sprintf("slack %s the %s (%s)", verb, e.Token, where)
}

// Is makes errors.Is(err, ErrSlackAuth) hold for every TokenError.
func (e *TokenError) Is(target error) bool {
	return target == ErrSlackAuth || (e.Revoked && target == ErrTokenRevoked)
}

// refusedToken reports whether err is Slack refusing the token of a Web
// API call (rather than its arguments, a rate limit or the network), and
// Slack's code for it: the codes on which slack-go's Socket Mode client
// stops, and token_expired for a rotated token.
func refusedToken(err error) (code string, ok bool) {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "invalid_auth", "token_revoked", "token_expired", "account_inactive", "not_authed":
			return se.Err, true
		}
	}
	return "", false
}

// socketEnd turns what socketmode's RunContext returned into Run's error.
// RunContext returns only when ctx ends or apps.connections.open refuses
// the app-level token; connected tells a token that worked earlier in
// this run (revoked) from one that never did.
func socketEnd(err error, connected bool) error {
	code, ok := refusedToken(err)
	var sc slack.StatusCodeError
	if !ok && errors.As(err, &sc) && sc.Code == http.StatusNotFound {
		// slack-go takes a 404 from apps.connections.open for bad auth.
		code, ok = "HTTP 404", true
	}
	if ok {
		return &TokenError{Token: AppToken, Source: "apps.connections.open", Code: code, Revoked: connected}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return fmt.Errorf("bot: the Socket Mode client stopped: %s", slackErrorCode(err))
}

// authTestError says why auth.test failed: the bot token refused, Slack
// answering something else, or no answer at all.
func authTestError(err error) error {
	var se slack.SlackErrorResponse
	if code, ok := refusedToken(err); ok {
		return &TokenError{Token: BotToken, Source: "auth.test", Code: code}
	} else if errors.As(err, &se) {
		return fmt.Errorf("bot: auth.test: Slack answered %s", se.Err)
	}
	return fmt.Errorf("bot: auth.test: %w: %s", ErrSlackUnreachable, slackErrorCode(err))
}
