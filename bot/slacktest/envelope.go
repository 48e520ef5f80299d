package slacktest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Envelope is a Socket Mode envelope as written to the websocket.
type Envelope struct {
	EnvelopeID string // "" gets a fresh ID
	Type       string // "slash_commands", "interactive", "events_api", …
	// Payload is marshalled as JSON; pass a json.RawMessage to send bytes as is.
	Payload                any
	AcceptsResponsePayload bool
	RetryAttempt           int
	RetryReason            string
}

// SlashCommand describes a slash command invocation for SendSlashCommand.
type SlashCommand struct {
	Command     string // default "/mpc-add"
	Text        string
	UserID      string // U… or, on Enterprise Grid, W…
	UserName    string // default: the Name of the known user UserID
	ChannelID   string
	ChannelName string // default: the Name of the known channel ChannelID
	TeamID      string // default TeamID
	// EnterpriseID and EnterpriseName are set on an Enterprise Grid
	// workspace (sent only when not empty); IsEnterpriseInstall marks an
	// org-wide install.
	EnterpriseID        string
	EnterpriseName      string
	IsEnterpriseInstall bool
}

// EventOptions are the outer fields of an events_api payload that a test may
// want to vary. The zero value is a plain event of the fake workspace.
type EventOptions struct {
	// EventID is the outer event_id; "" gets a fresh "Ev…" ID. Reuse one to
	// send "the same" event again in a new envelope.
	EventID string
	TeamID  string // default TeamID
	// EnterpriseID (E…) is set for a workspace in an Enterprise Grid org;
	// it goes into the payload and its authorizations.
	EnterpriseID        string
	IsEnterpriseInstall bool
	// IsExtSharedChannel marks an event from a Slack Connect channel.
	IsExtSharedChannel bool
}

// SentEvent identifies an events_api envelope a helper sent.
type SentEvent struct {
	EnvelopeID string
	EventID    string // the outer event_id, the same on re-deliveries
	TS         string // the message ts for message events, else ""
}

type envelopeFrame struct {
	EnvelopeID             string          `json:"envelope_id"`
	Type                   string          `json:"type"`
	Payload                json.RawMessage `json:"payload"`
	AcceptsResponsePayload bool            `json:"accepts_response_payload"`
	RetryAttempt           int             `json:"retry_attempt"`
	RetryReason            string          `json:"retry_reason"`
}

// Send queues a raw envelope. An empty EnvelopeID gets a fresh one; reusing
// an ID re-delivers "the same" envelope, as Slack does on retries. The
// envelope goes to exactly one open socket (round robin), or, if none is
// open, to the next socket that connects, after its hello.
func (s *Server) Send(e Envelope) error {
	_, err := s.send(e)
	return err
}

func (s *Server) send(e Envelope) (string, error) {
	payload, err := json.Marshal(e.Payload)
	if err != nil {
		return "", fmt.Errorf("slacktest: marshalling payload: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", ErrClosed
	}
	if e.EnvelopeID == "" {
		e.EnvelopeID = s.nextEnvelopeIDLocked()
	}
	data, err := json.Marshal(envelopeFrame{
		EnvelopeID:             e.EnvelopeID,
		Type:                   e.Type,
		Payload:                payload,
		AcceptsResponsePayload: e.AcceptsResponsePayload,
		RetryAttempt:           e.RetryAttempt,
		RetryReason:            e.RetryReason,
	})
	if err != nil {
		return "", fmt.Errorf("slacktest: marshalling envelope: %w", err)
	}
	e.Payload = json.RawMessage(payload)
	s.sent[e.EnvelopeID] = e
	s.routeLocked(frame{data: data, envelopeID: e.EnvelopeID})
	return e.EnvelopeID, nil
}

// Redeliver sends an envelope sent before again, with the same ID and
// payload and the given retry_attempt, as Slack does when it thinks an
// ack was missed ("timeout"). It goes to the next socket in turn, which
// may be another replica's.
func (s *Server) Redeliver(envelopeID string, retryAttempt int) error {
	s.mu.Lock()
	e, ok := s.sent[envelopeID]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("slacktest: no envelope %q was sent", envelopeID)
	}
	e.RetryAttempt, e.RetryReason = retryAttempt, "timeout"
	return s.Send(e)
}

type slashPayload struct {
	Token               string `json:"token"`
	TeamID              string `json:"team_id"`
	TeamDomain          string `json:"team_domain"`
	ChannelID           string `json:"channel_id"`
	ChannelName         string `json:"channel_name"`
	UserID              string `json:"user_id"`
	UserName            string `json:"user_name"`
	Command             string `json:"command"`
	Text                string `json:"text"`
	APIAppID            string `json:"api_app_id"`
	EnterpriseID        string `json:"enterprise_id,omitempty"`
	EnterpriseName      string `json:"enterprise_name,omitempty"`
	IsEnterpriseInstall string `json:"is_enterprise_install"`
	ResponseURL         string `json:"response_url"`
	TriggerID           string `json:"trigger_id"`
}

// SendSlashCommand sends a "slash_commands" envelope whose payload decodes
// into slack.SlashCommand, with a fresh trigger ID and response URL, and
// returns them.
func (s *Server) SendSlashCommand(c SlashCommand) (envelopeID, responseURL, triggerID string, err error) {
	s.mu.Lock()
	if c.Command == "" {
		c.Command = "/mpc-add"
	}
	if c.TeamID == "" {
		c.TeamID = TeamID
	}
	if c.UserName == "" {
		c.UserName = s.users[c.UserID].Name
	}
	if c.ChannelName == "" {
		c.ChannelName = s.channels[c.ChannelID].Name
	}
	responseURL = s.newResponseURLLocked()
	triggerID = s.newTriggerIDLocked()
	s.mu.Unlock()

	envelopeID, err = s.send(Envelope{
		Type: "slash_commands",
		Payload: slashPayload{
			Token:               VerificationToken,
			TeamID:              c.TeamID,
			TeamDomain:          TeamDomain,
			ChannelID:           c.ChannelID,
			ChannelName:         c.ChannelName,
			UserID:              c.UserID,
			UserName:            c.UserName,
			Command:             c.Command,
			Text:                c.Text,
			APIAppID:            AppID,
			EnterpriseID:        c.EnterpriseID,
			EnterpriseName:      c.EnterpriseName,
			IsEnterpriseInstall: strconv.FormatBool(c.IsEnterpriseInstall),
			ResponseURL:         responseURL,
			TriggerID:           triggerID,
		},
		AcceptsResponsePayload: true,
	})
	if err != nil {
		return "", "", "", err
	}
	return envelopeID, responseURL, triggerID, nil
}

// SendInteraction sends an "interactive" envelope with payload (anything
// that marshals to an interaction payload slack.InteractionCallback decodes,
// e.g. a slack.InteractionCallback or a map). accepts_response_payload is
// set for view_submission and block_suggestion payloads. Use NewTriggerID and
// NewResponseURL for the payload's trigger_id and response_url. The payload
// is sent as is, so it may carry "enterprise"/"is_enterprise_install", or be
// a block_actions from the Home tab (view.type "home", see HomeView).
func (s *Server) SendInteraction(payload any) (envelopeID string, err error) {
	data, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("slacktest: marshalling payload: %w", err)
	}
	var head struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(data, &head)
	return s.send(Envelope{
		Type:                   "interactive",
		Payload:                json.RawMessage(data),
		AcceptsResponsePayload: head.Type == "view_submission" || head.Type == "block_suggestion",
	})
}

// SendEvent sends an "events_api" envelope; event is the inner event (e.g.
// an app_mention map), wrapped as
// {"type":"event_callback","event_id":"Ev…","team_id":TeamID,"event":event,…}.
// opts, if given, sets the outer fields (only the first is used).
func (s *Server) SendEvent(event any, opts ...EventOptions) (envelopeID string, err error) {
	var o EventOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	sent, err := s.sendEvent(event, o)
	return sent.EnvelopeID, err
}

func (s *Server) sendEvent(event any, o EventOptions) (SentEvent, error) {
	if o.TeamID == "" {
		o.TeamID = TeamID
	}
	if o.EventID == "" {
		s.mu.Lock()
		s.eventSeq++
		o.EventID = fmt.Sprintf("Ev0FAKE%08d", s.eventSeq)
		s.mu.Unlock()
	}
	auth := map[string]any{
		"team_id": o.TeamID, "user_id": BotUserID, "is_bot": true, "is_enterprise_install": o.IsEnterpriseInstall,
	}
	payload := map[string]any{
		"token":                 VerificationToken,
		"team_id":               o.TeamID,
		"api_app_id":            AppID,
		"event":                 event,
		"type":                  "event_callback",
		"event_id":              o.EventID,
		"event_time":            time.Now().Unix(),
		"authorizations":        []map[string]any{auth},
		"is_ext_shared_channel": o.IsExtSharedChannel,
		"event_context":         "4-fake-" + o.EventID,
	}
	if o.EnterpriseID != "" {
		payload["enterprise_id"] = o.EnterpriseID
		auth["enterprise_id"] = o.EnterpriseID
	}
	envelopeID, err := s.send(Envelope{Type: "events_api", Payload: payload})
	if err != nil {
		return SentEvent{}, err
	}
	return SentEvent{EnvelopeID: envelopeID, EventID: o.EventID}, nil
}

// DirectMessage describes a message a user sends the bot in their DM, for
// SendDirectMessage.
type DirectMessage struct {
	User     string // the sender, U… or W…
	Text     string
	ThreadTS string // the parent's ts for a reply in a thread, else ""
}

// SendDirectMessage sends the "message" event Slack sends for a message a
// user writes in their DM with the bot (message.im): channel_type "im",
// channel DMChannelID(m.User), a fresh ts, and an outer event_id (see
// EventOptions.EventID and Redeliver for re-deliveries). The fake then
// knows the message, so the bot can reply with chat.postMessage or
// chat.postEphemeral in that DM, in its thread too.
func (s *Server) SendDirectMessage(m DirectMessage, opts ...EventOptions) (SentEvent, error) {
	var o EventOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	channel := DMChannelID(m.User)
	s.mu.Lock()
	ts := s.nextTSLocked()
	s.addPostLocked(channel, ts, post{threadTS: m.ThreadTS})
	s.mu.Unlock()
	event := map[string]any{
		"type":          "message",
		"client_msg_id": fmt.Sprintf("c11e0000-0000-4000-8000-%s", strings.ReplaceAll(ts, ".", "")),
		"user":          m.User,
		"text":          m.Text,
		"ts":            ts,
		"event_ts":      ts,
		"team":          TeamID,
		"channel":       channel,
		"channel_type":  "im",
	}
	if m.ThreadTS != "" {
		event["thread_ts"] = m.ThreadTS
	}
	sent, err := s.sendEvent(event, o)
	sent.TS = ts
	return sent, err
}

// OpenHome sends the "app_home_opened" event Slack sends when user opens
// the app's Home tab (tab "home", channel DMChannelID(user)). If a home view
// was published for user, the event carries it (with its ID and current
// hash), as on Slack. opts: see SendEvent.
func (s *Server) OpenHome(user string, opts ...EventOptions) (SentEvent, error) {
	var o EventOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	s.mu.Lock()
	event := map[string]any{
		"type":     "app_home_opened",
		"user":     user,
		"channel":  DMChannelID(user),
		"tab":      "home",
		"event_ts": s.nextTSLocked(),
	}
	if home := s.homes[user]; home != nil {
		event["view"] = viewJSON(home.fields, home.id, home.v)
	}
	s.mu.Unlock()
	return s.sendEvent(event, o)
}

// SendTokensRevoked sends the "tokens_revoked" event (Events API shape,
// tokens.bot = [BotUserID]) to an open socket, or to the next one if none
// is open. Call RevokeTokens too for the Web API to match. opts: see
// SendEvent.
func (s *Server) SendTokensRevoked(opts ...EventOptions) (SentEvent, error) {
	var o EventOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	s.mu.Lock()
	ts := s.nextTSLocked()
	s.mu.Unlock()
	return s.sendEvent(map[string]any{
		"type":     "tokens_revoked",
		"tokens":   map[string]any{"oauth": []string{}, "bot": []string{BotUserID}},
		"event_ts": ts,
	}, o)
}
