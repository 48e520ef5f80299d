package slacktest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// MaxResponseURLUses is how many posts a response URL accepts, as on Slack.
const MaxResponseURLUses = 5

// handleResponseURL serves POST /response/<n>. Answers:
//   - accepted: 200 {"ok":true}, recorded in Responses
//   - a URL the fake never issued: 404 {"ok":false,"error":"expired_url"}
//   - the 6th and later post to a URL: 404 {"ok":false,"error":"used_url"}
//   - a body that is not a JSON object: 400 {"ok":false,"error":"invalid_payload"}
//
// slack-go reports the non-200 answers as a slack.StatusCodeError.
func (s *Server) handleResponseURL(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/response/")
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"ok": false, "error": "method_not_allowed"})
		return
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "invalid_payload"})
		return
	}
	var body struct {
		ResponseType    string          `json:"response_type"`
		Text            string          `json:"text"`
		ThreadTS        string          `json:"thread_ts"`
		Blocks          json.RawMessage `json:"blocks"`
		ReplaceOriginal bool            `json:"replace_original"`
		DeleteOriginal  bool            `json:"delete_original"`
	}
	if err := json.Unmarshal(data, &body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "invalid_payload"})
		return
	}
	if string(body.Blocks) == "null" {
		body.Blocks = nil
	}

	s.mu.Lock()
	uses, ok := s.responseURLs[id]
	switch {
	case !ok:
		s.mu.Unlock()
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "expired_url"})
		return
	case uses >= MaxResponseURLUses:
		s.mu.Unlock()
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "used_url"})
		return
	}
	s.responseURLs[id] = uses + 1
	s.responses = append(s.responses, Response{
		URL:             s.srv.URL + r.URL.Path,
		ResponseType:    body.ResponseType,
		Text:            body.Text,
		ThreadTS:        body.ThreadTS,
		Blocks:          body.Blocks,
		ReplaceOriginal: body.ReplaceOriginal,
		DeleteOriginal:  body.DeleteOriginal,
	})
	s.notifyLocked()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}
