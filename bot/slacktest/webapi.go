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
		"apps.connections.open": s.appsConnectionsOpen,
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
// after the token check. It replaces an earlier FailNext for method; n <= 0
// clears it.
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

// handleAPI serves /api/<method>.
func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	req, token, perr := parseAPIRequest(r)
	req.method = method

	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: method, At: req.at, Params: cloneValues(req.params)})
	s.notifyLocked()
	s.mu.Unlock()

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

	want := BotToken
	if method == "apps.connections.open" {
		want = AppToken
	}
	switch token {
	case "":
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "not_authed"})
		return
	case want:
	default:
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_auth"})
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
	if slackErr != "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": slackErr})
		return
	}
	if resp == nil {
		resp = map[string]any{}
	}
	resp["ok"] = true
	writeJSON(w, http.StatusOK, resp)
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
// separated, answered with a "users" list).
func (s *Server) usersInfo(r *apiRequest) (map[string]any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if list := r.params.Get("users"); list != "" && r.params.Get("user") == "" {
		var users []map[string]any
		for id := range strings.SplitSeq(list, ",") {
			u, ok := s.users[strings.TrimSpace(id)]
			if !ok {
				return nil, "user_not_found"
			}
			users = append(users, userJSON(u))
		}
		return map[string]any{"users": users}, ""
	}
	u, ok := s.users[r.params.Get("user")]
	if !ok {
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
// channels and IMs the bot is not a member of (channel_not_found).
func (s *Server) conversationsInfo(r *apiRequest) (map[string]any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[r.params.Get("channel")]
	if !ok || ((c.Private || c.IM) && !c.BotIsMember) {
		return nil, "channel_not_found"
	}
	return map[string]any{"channel": channelJSON(c)}, ""
}

// appsConnectionsOpen issues a single-use websocket URL.
func (s *Server) appsConnectionsOpen(*apiRequest) (map[string]any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ticketSeq++
	ticket := fmt.Sprintf("fake-ticket-%d", s.ticketSeq)
	s.tickets[ticket] = true
	wsURL := "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/link/?ticket=" + ticket + "&app_id=" + AppID
	return map[string]any{"url": wsURL}, ""
}
