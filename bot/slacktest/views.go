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

// homeTab is the home view published for one user.
type homeTab struct {
	id     string
	v      *openView
	fields map[string]json.RawMessage
}

// View limits Slack enforces (api.slack.com/reference/block-kit/views).
const (
	maxViewBlocks     = 100
	maxViewBytes      = 250 << 10
	maxPrivateMeta    = 3000
	maxViewCallbackID = 255
)

// validateView applies Slack's view rules: type wantType, at most 100
// blocks, unique block_ids, private_metadata and callback_id limits
// (invalid_arguments, with the reasons in response_metadata.messages, as
// Slack answers), and at most 250 KB (view_too_large).
func validateView(raw json.RawMessage, fields map[string]json.RawMessage, wantType string) (map[string]any, string) {
	if len(raw) > maxViewBytes {
		return nil, "view_too_large"
	}
	var msgs []string
	if typ := stringField(fields, "type"); typ != wantType {
		msgs = append(msgs, fmt.Sprintf("[ERROR] must be %q, got %q [json-pointer:/view/type]", wantType, typ))
	}
	var blocks []struct {
		BlockID string `json:"block_id"`
	}
	if b, ok := fields["blocks"]; ok && string(b) != "null" && json.Unmarshal(b, &blocks) != nil {
		msgs = append(msgs, "[ERROR] must be an array of blocks [json-pointer:/view/blocks]")
	}
	if len(blocks) > maxViewBlocks {
		msgs = append(msgs, fmt.Sprintf("[ERROR] must provide a maximum of %d items [json-pointer:/view/blocks]", maxViewBlocks))
	}
	seen := map[string]bool{}
	for i, b := range blocks {
		if b.BlockID == "" {
			continue
		}
		if seen[b.BlockID] {
			msgs = append(msgs, fmt.Sprintf("[ERROR] duplicate block_id %q [json-pointer:/view/blocks/%d/block_id]", b.BlockID, i))
		}
		seen[b.BlockID] = true
	}
	if len(stringField(fields, "private_metadata")) > maxPrivateMeta {
		msgs = append(msgs, fmt.Sprintf("[ERROR] must be at most %d characters [json-pointer:/view/private_metadata]", maxPrivateMeta))
	}
	if len(stringField(fields, "callback_id")) > maxViewCallbackID {
		msgs = append(msgs, fmt.Sprintf("[ERROR] must be at most %d characters [json-pointer:/view/callback_id]", maxViewCallbackID))
	}
	if len(msgs) > 0 {
		return map[string]any{"response_metadata": map[string]any{"messages": msgs}}, "invalid_arguments"
	}
	return nil, ""
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
// that was not used yet, and the view must pass validateView as a "modal".
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
	if details, e := validateView(raw, fields, "modal"); e != "" {
		return details, e
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
// the fake opened (not_found), a hash, if given, must be the current one
// (hash_conflict), and the view must pass validateView as a "modal".
func (s *Server) viewsUpdate(r *apiRequest) (map[string]any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw, fields, e := viewParam(r)
	if e != "" {
		return nil, e
	}
	if details, e := validateView(raw, fields, "modal"); e != "" {
		return details, e
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

// viewsPublish serves views.publish (App Home): user_id must be a user the
// bot can see (user_not_found), the view must pass validateView as a
// "home", and a hash, if given, must be the one of the user's current home
// view (hash_conflict, also when nothing was published yet). A user's home
// view keeps its ID across publishes and gets a new hash each time.
func (s *Server) viewsPublish(r *apiRequest) (map[string]any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	user := r.params.Get("user_id")
	raw, fields, e := viewParam(r)
	if e != "" {
		return nil, e
	}
	if user == "" {
		return nil, "invalid_arguments"
	}
	if u, ok := s.users[user]; !ok || u.Deleted || u.External {
		return nil, "user_not_found"
	}
	if details, e := validateView(raw, fields, "home"); e != "" {
		return details, e
	}
	home := s.homes[user]
	if h := r.params.Get("hash"); h != "" && (home == nil || h != home.v.hash) {
		return nil, "hash_conflict"
	}
	if home == nil {
		s.viewSeq++
		id := fmt.Sprintf("V%09d", s.viewSeq)
		home = &homeTab{id: id, v: &openView{rootID: id}}
		s.homes[user] = home
	}
	s.rehashLocked(home.v)
	home.fields = fields
	s.homeViews = append(s.homeViews, HomeView{ID: home.id, User: user, Hash: home.v.hash, View: raw, At: r.at})
	s.notifyLocked()
	return map[string]any{"view": viewJSON(fields, home.id, home.v)}, ""
}
