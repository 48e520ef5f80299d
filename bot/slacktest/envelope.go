package slacktest

import (
	"encoding/json"
	"fmt"
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
	UserID      string
	UserName    string // default: the Name of the known user UserID
	ChannelID   string
	ChannelName string // default: the Name of the known channel ChannelID
	TeamID      string // default TeamID
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
			IsEnterpriseInstall: "false",
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
// NewResponseURL for the payload's trigger_id and response_url.
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
func (s *Server) SendEvent(event any) (envelopeID string, err error) {
	s.mu.Lock()
	s.eventSeq++
	eventID := fmt.Sprintf("Ev0FAKE%08d", s.eventSeq)
	s.mu.Unlock()
	return s.send(Envelope{
		Type: "events_api",
		Payload: map[string]any{
			"token":      VerificationToken,
			"team_id":    TeamID,
			"api_app_id": AppID,
			"event":      event,
			"type":       "event_callback",
			"event_id":   eventID,
			"event_time": time.Now().Unix(),
			"authorizations": []map[string]any{{
				"team_id": TeamID, "user_id": BotUserID, "is_bot": true, "is_enterprise_install": false,
			}},
			"is_ext_shared_channel": false,
			"event_context":         "4-fake-" + eventID,
		},
	})
}
