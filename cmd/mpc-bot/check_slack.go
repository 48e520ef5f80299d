package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mpc-bot/mpc-bot/bot"
)

// slackCheckTimeout bounds each Slack Web API call of the checks.
const slackCheckTimeout = 10 * time.Second

// slackAnswer is the part of a Web API answer the checks read.
type slackAnswer struct {
	OK     bool   `json:"ok"`
	Error  string `json:"error"`
	Team   string `json:"team"`
	TeamID string `json:"team_id"`
	User   string `json:"user"`
	UserID string `json:"user_id"`
	URL    string `json:"url"`
}

// slackCall POSTs an argument-less Web API method with token as a Bearer
// token, and returns the answer and its headers. The call is made by hand
// because slack-go does not expose AuthTest's X-OAuth-Scopes header. The
// error never holds the token: it travels in a header, and errors name
// the method and host only.
func slackCall(ctx context.Context, hc *http.Client, apiURL, method, token string) (slackAnswer, http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, slackCheckTimeout)
	defer cancel()
	u, err := url.Parse(strings.TrimRight(apiURL, "/") + "/" + method)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return slackAnswer{}, nil, errors.New("SLACK_API_URL is not an http(s) URL")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), nil)
	if err != nil {
		return slackAnswer{}, nil, fmt.Errorf("%s: %w", method, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		// *url.Error repeats the URL; keep the cause, and name the host.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return slackAnswer{}, nil, fmt.Errorf("%s: cannot reach %s: %w", method, u.Host, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return slackAnswer{}, nil, fmt.Errorf("%s: read the answer: %w", method, err)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return slackAnswer{}, nil, fmt.Errorf("%s: %w (HTTP 429, retry after %ss)", method, errSlackBusy, resp.Header.Get("Retry-After"))
	case resp.StatusCode != http.StatusOK:
		return slackAnswer{}, nil, fmt.Errorf("%s: %s answered HTTP %d: it does not look like the Slack Web API", method, u.Host, resp.StatusCode)
	}
	var a slackAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return slackAnswer{}, nil, fmt.Errorf("%s: %s answered something that is not JSON: it does not look like the Slack Web API", method, u.Host)
	}
	return a, resp.Header, nil
}

// errSlackBusy is a 429 from the Web API: the settings may be right.
var errSlackBusy = errors.New("rate-limited by Slack")

// slackFix is the fix for a Web API call that got no usable answer.
func slackFix(err error) string {
	if errors.Is(err, errSlackBusy) {
		return "try again in a minute"
	}
	return "check SLACK_API_URL (default https://slack.com/api/; unset it unless you test against a fake) and the network path to it"
}

// checkSlack checks the bot token (auth.test), its scopes against the
// manifest's, and the app token (apps.connections.open). It never dials the
// websocket: an envelope Slack sent to a socket closed unread would be lost.
func checkSlack(ctx context.Context, hc *http.Client, botToken, appToken, apiURL string) []checkLine {
	lines := make([]checkLine, 0, 3)
	token := checkLine{name: "Slack bot token"}
	scopes := checkLine{name: "Slack scopes"}
	if why := tokenUnusable("SLACK_BOT_TOKEN", botToken, "xoxb-"); why != "" {
		token = token.skip(why)
		scopes = scopes.skip("needs a usable SLACK_BOT_TOKEN")
	} else if a, h, err := slackCall(ctx, hc, apiURL, "auth.test", botToken); err != nil {
		token = token.failed(err.Error(), slackFix(err))
		scopes = scopes.skip("needs an answer to auth.test")
	} else if !a.OK {
		token = token.failed(fmt.Sprintf("Slack refused SLACK_BOT_TOKEN (%s)", a.Error), botTokenFix(a.Error))
		scopes = scopes.skip("needs a valid SLACK_BOT_TOKEN")
	} else {
		token = token.passed(fmt.Sprintf("valid: workspace %q (%s), bot user @%s (%s)", a.Team, a.TeamID, a.User, a.UserID))
		scopes = checkScopes(h.Get("X-OAuth-Scopes"))
	}
	lines = append(lines, token, scopes)

	socket := checkLine{name: "Socket Mode"}
	if why := tokenUnusable("SLACK_APP_TOKEN", appToken, "xapp-"); why != "" {
		socket = socket.skip(why)
	} else if a, _, err := slackCall(ctx, hc, apiURL, "apps.connections.open", appToken); err != nil {
		socket = socket.failed(err.Error(), slackFix(err))
	} else if !a.OK {
		socket = socket.failed(fmt.Sprintf("apps.connections.open refused SLACK_APP_TOKEN (%s)", a.Error), appTokenFix(a.Error))
	} else if a.URL == "" {
		socket = socket.failed("apps.connections.open answered ok but issued no websocket URL", slackFix(nil))
	} else {
		socket = socket.passed("SLACK_APP_TOKEN opens connections: apps.connections.open issued a websocket URL (not dialled, so no event is lost)")
	}
	return append(lines, socket)
}

// tokenUnusable says why a token cannot be tried, or "".
func tokenUnusable(name, token, prefix string) string {
	switch {
	case strings.TrimSpace(token) == "":
		return name + " is not set"
	case !strings.HasPrefix(token, prefix):
		return fmt.Sprintf("%s is not a %s… token", name, prefix)
	}
	return ""
}

// checkScopes compares the scopes Slack says the bot token has (the
// X-OAuth-Scopes header) with those manifest.yaml asks for.
func checkScopes(header string) checkLine {
	l := checkLine{name: "Slack scopes"}
	var granted []string
	for s := range strings.SplitSeq(header, ",") {
		if s = strings.TrimSpace(s); s != "" {
			granted = append(granted, s)
		}
	}
	var missing []string
	for _, s := range bot.Scopes() {
		if !slices.Contains(granted, s) {
			missing = append(missing, s)
		}
	}
	if len(missing) == 0 {
		return l.passed(fmt.Sprintf("the bot token has all %d scopes manifest.yaml asks for", len(bot.Scopes())))
	}
	return l.failed(
		fmt.Sprintf("the bot token lacks %s (manifest.yaml asks for %s)", strings.Join(missing, ", "), plural(len(missing), "it", "them")),
		"add the missing scopes under OAuth & Permissions → Bot Token Scopes (or update the app from manifest.yaml), then reinstall the app to the workspace (Install App → Reinstall) and update SLACK_BOT_TOKEN if Slack shows a new one")
}

// botTokenFix is what to do when auth.test refuses the bot token.
func botTokenFix(code string) string {
	switch code {
	case "token_revoked", "account_inactive":
		return "the app was uninstalled or its bot deactivated: install the app again (Install App) and set SLACK_BOT_TOKEN to the new Bot User OAuth Token (xoxb-…)"
	case "ratelimited":
		return "try again in a minute"
	}
	return "set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…) on the app's OAuth & Permissions page"
}

// appTokenFix is what to do when apps.connections.open refuses.
func appTokenFix(code string) string {
	switch code {
	case "socket_mode_disabled", "socket_mode_not_enabled":
		return "turn Socket Mode on (the app's Socket Mode page, or socket_mode_enabled: true in manifest.yaml)"
	case "missing_scope":
		return "the app-level token lacks connections:write: generate one with it (Basic Information → App-Level Tokens) and set SLACK_APP_TOKEN to it"
	case "ratelimited":
		return "try again in a minute"
	}
	return "generate an app-level token with the connections:write scope (Basic Information → App-Level Tokens) and set SLACK_APP_TOKEN to it (xapp-…)"
}
