package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// apiRequest is a parsed Web API request.
type apiRequest struct {
	method string
	params url.Values                 // form fields or flattened JSON fields, token removed
	body   map[string]json.RawMessage // JSON body fields; nil for forms
	at     time.Time
}

// apiHandler serves one method. It returns the fields of a successful
// response (without "ok") or a Slack error code.
type apiHandler func(r *apiRequest) (map[string]any, string)

func (s *Server) apiHandlers() map[string]apiHandler {
	return map[string]apiHandler{
		"auth.test":             s.authTest,
		"users.info":            s.usersInfo,
		"usergroups.users.list": s.usergroupsUsersList,
		"conversations.info":    s.conversationsInfo,
		"chat.postMessage":      s.chatPostMessage,
		"chat.postEphemeral":    s.chatPostEphemeral,
		"chat.update":           s.chatUpdate,
		"views.open":            s.viewsOpen,
		"views.update":          s.viewsUpdate,
		"views.push":            s.viewsPush,
		"views.publish":         s.viewsPublish,
		"apps.connections.open": s.appsConnectionsOpen,

		"functions.completeSuccess": s.functionsCompleteSuccess,
		"functions.completeError":   s.functionsCompleteError,
	}
}

type failFault struct {
	err string
	n   int
}

type rateLimitFault struct {
	n          int
	retryAfter time.Duration
}

// FailNext makes the next n calls of method (e.g. "chat.postMessage" or
// "apps.connections.open") answer HTTP 200 {"ok":false,"error":slackError}
// after the latency and the token check. It replaces an earlier FailNext for
// method; n <= 0 clears it.
func (s *Server) FailNext(method, slackError string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 {
		delete(s.fails, method)
		return
	}
	s.fails[method] = &failFault{err: slackError, n: n}
}

// RateLimitNext makes the next n calls of method answer HTTP 429 with a
// Retry-After header of retryAfter in whole seconds (rounded up, at least 1)
// and {"ok":false,"error":"ratelimited"}; slack-go turns that into a
// *slack.RateLimitedError. It is checked after the token and before FailNext.
// It replaces an earlier RateLimitNext for method; n <= 0 clears it.
func (s *Server) RateLimitNext(method string, n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 {
		delete(s.rateLimits, method)
		return
	}
	s.rateLimits[method] = &rateLimitFault{n: n, retryAfter: retryAfter}
}

// takeFaultLocked consumes one injected fault for method, if any.
func (s *Server) takeFaultLocked(method string) (retryAfter time.Duration, limited bool, failErr string) {
	if f := s.rateLimits[method]; f != nil {
		f.n--
		if f.n <= 0 {
			delete(s.rateLimits, method)
		}
		return f.retryAfter, true, ""
	}
	if f := s.fails[method]; f != nil {
		f.n--
		if f.n <= 0 {
			delete(s.fails, method)
		}
		return 0, false, f.err
	}
	return 0, false, ""
}

// SetAPILatency changes the Web API latency at run time: every Web API call
// that arrives from then on is answered only after d (0 for none). The call
// is recorded (Calls) on arrival and takes effect (messages, views, …) when
// it is answered. The wait ends early when the server is closed (the call
// then answers HTTP 503 and has no effect) or the client gives up. Response
// URLs and the websocket are not delayed.
func (s *Server) SetAPILatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiLatency = d
}

// HoldAPI holds every Web API call that arrives from then on, after its
// latency, until release is called (or the server closes): a call can then
// stay in flight exactly as long as a test needs, however busy the machine.
// Calls that arrive after release are not held.
func (s *Server) HoldAPI() (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gate := make(chan struct{})
	s.apiGate = gate
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			if s.apiGate == gate {
				s.apiGate = nil
			}
			s.mu.Unlock()
			close(gate)
		})
	}
}

// RevokeTokens revokes the app's tokens, as uninstalling the app does: from
// then on every Web API call with the bot token (or a workflow token from
// SendFunctionExecuted) answers ok:false "token_revoked", and
// apps.connections.open with the app token answers "invalid_auth", which
// slack-go treats as fatal. Open sockets stay open; send the event with
// SendTokensRevoked. There is no undo.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked = true
}

// handleAPI serves /api/<method>: record the call, wait the latency, check
// the token, apply injected faults, then run the method's handler.
func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	req, token, perr := parseAPIRequest(r)
	req.method = method

	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: method, At: req.at, Params: cloneValues(req.params)})
	latency, gate := s.apiLatency, s.apiGate
	s.notifyLocked()
	s.mu.Unlock()

	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-s.done:
			t.Stop()
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ok": false, "error": "service_unavailable"})
			return
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if gate != nil {
		select {
		case <-gate:
		case <-s.done:
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ok": false, "error": "service_unavailable"})
			return
		case <-r.Context().Done():
			return
		}
	}

	if perr != "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": perr})
		return
	}
	h, ok := s.handlers[method]
	if !ok {
		// Slack answers 404 here, but slack-go would take a 404 from
		// apps.connections.open for bad auth; a plain error is friendlier.
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "unknown_method"})
		return
	}

	asBot, authErr := s.authorize(method, token, req)
	if asBot {
		// Slack reports the token's scopes on every answer.
		w.Header().Set("X-OAuth-Scopes", s.scopes)
	}
	if authErr != "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": authErr})
		return
	}

	s.mu.Lock()
	retryAfter, limited, failErr := s.takeFaultLocked(method)
	s.mu.Unlock()
	if limited {
		secs := max(1, int(math.Ceil(retryAfter.Seconds())))
		w.Header().Set("Retry-After", fmt.Sprint(secs))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
		return
	}
	if failErr != "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": failErr})
		return
	}

	resp, slackErr := h(req)
	if resp == nil {
		resp = map[string]any{}
	}
	if slackErr != "" {
		// resp may carry details such as response_metadata.
		resp["error"] = slackErr
		resp["ok"] = false
		writeJSON(w, http.StatusOK, resp)
		return
	}
	resp["ok"] = true
	writeJSON(w, http.StatusOK, resp)
}

// authorize checks the token of a call to method. asBot reports that the
// token is the bot's (BotToken or a workflow token), whose scopes the answer
// reports. Rules:
//   - no token: not_authed
//   - apps.connections.open: AppToken only (invalid_auth, also once revoked)
//   - functions.completeSuccess/completeError: only the token of the
//     execution named by function_execution_id (invalid_auth)
//   - every other method: BotToken, or the token of a running workflow
//     execution (invalid_auth)
//   - a bot or workflow token after RevokeTokens: token_revoked
func (s *Server) authorize(method, token string, r *apiRequest) (asBot bool, slackErr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case token == "":
		return false, "not_authed"
	case method == "apps.connections.open":
		if token != AppToken || s.revoked {
			return false, "invalid_auth"
		}
		return false, ""
	case method == "functions.completeSuccess" || method == "functions.completeError":
		ex := s.executions[r.params.Get("function_execution_id")]
		if ex == nil || token != ex.token {
			return false, "invalid_auth"
		}
	case token == BotToken:
	default:
		if !s.runningExecutionTokenLocked(token) {
			return false, "invalid_auth"
		}
	}
	if s.revoked {
		return true, "token_revoked"
	}
	return true, ""
}

// parseAPIRequest reads the parameters and the token of a Web API request.
// The token comes from the "token" field, else from "Authorization: Bearer".
// perr is a Slack error code for an unparseable body.
func parseAPIRequest(r *http.Request) (req *apiRequest, token, perr string) {
	req = &apiRequest{params: url.Values{}, at: time.Now()}
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ctype == "application/json" {
		data, err := io.ReadAll(r.Body)
		if err != nil {
			return req, "", "invalid_json"
		}
		req.body = map[string]json.RawMessage{}
		if len(strings.TrimSpace(string(data))) > 0 {
			if err := json.Unmarshal(data, &req.body); err != nil {
				return req, bearer(r), "invalid_json"
			}
		}
		for k, v := range req.body {
			var str string
			if json.Unmarshal(v, &str) == nil {
				req.params.Set(k, str)
			} else {
				req.params.Set(k, string(v))
			}
		}
		for k, vs := range r.URL.Query() {
			req.params[k] = append(req.params[k], vs...)
		}
	} else {
		if err := r.ParseForm(); err != nil {
			return req, "", "invalid_form_data"
		}
		req.params = cloneValues(r.Form)
	}
	token = req.params.Get("token")
	req.params.Del("token")
	delete(req.body, "token")
	if token == "" {
		token = bearer(r)
	}
	return req, token, ""
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if t, ok := strings.CutPrefix(h, "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	return ""
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"ok":false,"error":"fatal_error"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// rawOrNil returns s as JSON text, or nil when it is empty.
func rawOrNil(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

// authTest serves auth.test; handleAPI adds the X-OAuth-Scopes header.
func (s *Server) authTest(*apiRequest) (map[string]any, string) {
	return map[string]any{
		"url":     "https://" + TeamDomain + ".slack.com/",
		"team":    "Fake Team",
		"user":    "mpc-bot",
		"team_id": TeamID,
		"user_id": BotUserID,
		"bot_id":  BotID,
	}, ""
}

// usersInfo serves users.info: "user" (or slack-go's "users", comma
// separated, answered with a "users" list). Unknown and External users are
// user_not_found.
func (s *Server) usersInfo(r *apiRequest) (map[string]any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if list := r.params.Get("users"); list != "" && r.params.Get("user") == "" {
		var users []map[string]any
		for id := range strings.SplitSeq(list, ",") {
			u, ok := s.users[strings.TrimSpace(id)]
			if !ok || u.External {
				return nil, "user_not_found"
			}
			users = append(users, userJSON(u))
		}
		return map[string]any{"users": users}, ""
	}
	u, ok := s.users[r.params.Get("user")]
	if !ok || u.External {
		return nil, "user_not_found"
	}
	return map[string]any{"user": userJSON(u)}, ""
}

func (s *Server) usergroupsUsersList(r *apiRequest) (map[string]any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[r.params.Get("usergroup")]
	if !ok {
		return nil, "no_such_subteam"
	}
	return map[string]any{"users": append([]string{}, g.users...)}, ""
}

// conversationsInfo serves conversations.info. Like Slack, it hides private
// channels and IMs the bot is not a member of (channel_not_found). The DM
// of a known user (DMChannelID) is an IM the bot is in.
func (s *Server) conversationsInfo(r *apiRequest) (map[string]any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.params.Get("channel")
	c, ok := s.channels[id]
	if !ok {
		if user, isDM := s.dmUserLocked(id); isDM {
			ch := channelJSON(Channel{ID: id, IM: true, BotIsMember: true})
			ch["user"] = user
			return map[string]any{"channel": ch}, ""
		}
	}
	if !ok || ((c.Private || c.IM) && !c.BotIsMember) {
		return nil, "channel_not_found"
	}
	return map[string]any{"channel": channelJSON(c)}, ""
}

// appsConnectionsOpen issues a single-use websocket URL, or answers
// SocketModeDisabledError while Socket Mode is off. A URL that is never
// dialed, or dialed and closed at once, does no harm.
func (s *Server) appsConnectionsOpen(*apiRequest) (map[string]any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.socketModeOff {
		return nil, SocketModeDisabledError
	}
	s.ticketSeq++
	ticket := fmt.Sprintf("fake-ticket-%d", s.ticketSeq)
	s.tickets[ticket] = true
	wsURL := "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/link/?ticket=" + ticket + "&app_id=" + AppID
	return map[string]any{"url": wsURL}, ""
}
