package slacktest

import (
	"encoding/json"
	"fmt"
	"time"
)

type trigger struct {
	issued time.Time
	used   bool
}

type openView struct {
	hash       string
	externalID string
	rootID     string
}

// consumeTriggerLocked spends a trigger ID: invalid_trigger_id if the fake
// never issued it, expired_trigger_id if it was used or is older than the TTL.
func (s *Server) consumeTriggerLocked(id string) string {
	t, ok := s.triggers[id]
	if !ok {
		return "invalid_trigger_id"
	}
	if t.used || (s.triggerTTL > 0 && time.Since(t.issued) > s.triggerTTL) {
		t.used = true
		return "expired_trigger_id"
	}
	t.used = true
	return ""
}

// viewParam returns the "view" argument as a JSON object.
func viewParam(r *apiRequest) (json.RawMessage, map[string]json.RawMessage, string) {
	raw := r.body["view"]
	if r.body == nil {
		raw = json.RawMessage(r.params.Get("view"))
	}
	var fields map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &fields) != nil || fields == nil {
		return nil, nil, "invalid_arguments"
	}
	return append(json.RawMessage(nil), raw...), fields, ""
}

func stringField(fields map[string]json.RawMessage, key string) string {
	var v string
	_ = json.Unmarshal(fields[key], &v)
	return v
}

// registerViewLocked creates a view ID for a new view.
func (s *Server) registerViewLocked(fields map[string]json.RawMessage, rootID string) (id string, v *openView, slackErr string) {
	ext := stringField(fields, "external_id")
	if ext != "" {
		if _, dup := s.externalIDs[ext]; dup {
			return "", nil, "duplicate_external_id"
		}
	}
	s.viewSeq++
	id = fmt.Sprintf("V%09d", s.viewSeq)
	if rootID == "" {
		rootID = id
	}
	v = &openView{externalID: ext, rootID: rootID}
	s.rehashLocked(v)
	s.openViews[id] = v
	if ext != "" {
		s.externalIDs[ext] = id
	}
	return id, v, ""
}

func (s *Server) rehashLocked(v *openView) {
	s.viewSeq++
	v.hash = fmt.Sprintf("%d.fakehash%06d", tsBase, s.viewSeq)
}

// viewJSON is the view in a views.* response: the view that was sent plus
// the fields Slack adds.
func viewJSON(fields map[string]json.RawMessage, id string, v *openView) map[string]any {
	out := make(map[string]any, len(fields)+8)
	for k, f := range fields {
		out[k] = f
	}
	out["id"] = id
	out["team_id"] = TeamID
	out["app_id"] = AppID
	out["bot_id"] = BotID
	out["app_installed_team_id"] = TeamID
	out["hash"] = v.hash
	out["root_view_id"] = v.rootID
	if _, ok := fields["state"]; !ok {
		out["state"] = map[string]any{"values": map[string]any{}}
	}
	return out
}

// viewsOpen serves views.open; trigger_id must be one the fake issued and
// that was not used yet.
func (s *Server) viewsOpen(r *apiRequest) (map[string]any, string) {
	return s.openOrPush(r, "views.open")
}

// viewsPush serves views.push with the same trigger rules as views.open.
func (s *Server) viewsPush(r *apiRequest) (map[string]any, string) {
	return s.openOrPush(r, "views.push")
}

func (s *Server) openOrPush(r *apiRequest, method string) (map[string]any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	triggerID := r.params.Get("trigger_id")
	raw, fields, e := viewParam(r)
	if e != "" {
		return nil, e
	}
	if e := s.consumeTriggerLocked(triggerID); e != "" {
		return nil, e
	}
	id, v, e := s.registerViewLocked(fields, "")
	if e != "" {
		return nil, e
	}
	s.views = append(s.views, View{ID: id, TriggerID: triggerID, Method: method, View: raw})
	s.notifyLocked()
	return map[string]any{"view": viewJSON(fields, id, v)}, ""
}

// viewsUpdate serves views.update: view_id or external_id must name a view
// the fake opened (not_found), and a hash, if given, must be the current one
// (hash_conflict).
func (s *Server) viewsUpdate(r *apiRequest) (map[string]any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw, fields, e := viewParam(r)
	if e != "" {
		return nil, e
	}
	id := r.params.Get("view_id")
	if id == "" {
		id = s.externalIDs[r.params.Get("external_id")]
	}
	v, ok := s.openViews[id]
	if !ok {
		return nil, "not_found"
	}
	if h := r.params.Get("hash"); h != "" && h != v.hash {
		return nil, "hash_conflict"
	}
	s.rehashLocked(v)
	s.views = append(s.views, View{ID: id, Method: "views.update", View: raw})
	s.notifyLocked()
	return map[string]any{"view": viewJSON(fields, id, v)}, ""
}
