package slacktest

import (
	"encoding/json"
	"strconv"
)

// messageContent checks the text/blocks/attachments of a chat.* request.
func messageContent(r *apiRequest) (text, blocks string, slackErr string) {
	text = r.params.Get("text")
	blocks = r.params.Get("blocks")
	if text == "" && blocks == "" && r.params.Get("attachments") == "" {
		return "", "", "no_text"
	}
	if blocks != "" && !json.Valid([]byte(blocks)) {
		return "", "", "invalid_blocks"
	}
	return text, blocks, ""
}

func botMessageJSON(text, blocks, ts, threadTS string) map[string]any {
	m := map[string]any{
		"type":   "message",
		"user":   BotUserID,
		"bot_id": BotID,
		"app_id": AppID,
		"team":   TeamID,
		"text":   text,
		"ts":     ts,
	}
	if threadTS != "" {
		m["thread_ts"] = threadTS
	}
	if blocks != "" {
		m["blocks"] = json.RawMessage(blocks)
	}
	return m
}

// chatPostMessage serves chat.postMessage; see resolveChannelLocked for the
// channel rules. A thread_ts that is not a known top-level message is
// accepted and flagged with Message.UnknownThread.
func (s *Server) chatPostMessage(r *apiRequest) (map[string]any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, e := s.resolveChannelLocked(r.params.Get("channel"))
	if e != "" {
		return nil, e
	}
	text, blocks, e := messageContent(r)
	if e != "" {
		return nil, e
	}
	threadTS := r.params.Get("thread_ts")
	unknown := threadTS != "" && !s.isTopLevelLocked(ch, threadTS)
	broadcast, _ := strconv.ParseBool(r.params.Get("reply_broadcast"))
	ts := s.nextTSLocked()
	s.addPostLocked(ch, ts, post{threadTS: threadTS, byBot: true})
	s.messages = append(s.messages, Message{
		Channel: ch, TS: ts, ThreadTS: threadTS, Text: text, Blocks: rawOrNil(blocks),
		ReplyBroadcast: broadcast, UnknownThread: unknown, At: r.at,
	})
	s.notifyLocked()
	return map[string]any{"channel": ch, "ts": ts, "message": botMessageJSON(text, blocks, ts, threadTS)}, ""
}

// chatPostEphemeral serves chat.postEphemeral: the channel rules of
// chat.postMessage, plus the user must be known (else user_not_found).
func (s *Server) chatPostEphemeral(r *apiRequest) (map[string]any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, e := s.resolveChannelLocked(r.params.Get("channel"))
	if e != "" {
		return nil, e
	}
	user := r.params.Get("user")
	if u, ok := s.users[user]; !ok || u.Deleted {
		return nil, "user_not_found"
	}
	text, blocks, e := messageContent(r)
	if e != "" {
		return nil, e
	}
	threadTS := r.params.Get("thread_ts")
	unknown := threadTS != "" && !s.isTopLevelLocked(ch, threadTS)
	ts := s.nextTSLocked()
	s.ephemerals = append(s.ephemerals, Ephemeral{
		Channel: ch, User: user, TS: ts, ThreadTS: threadTS, Text: text, Blocks: rawOrNil(blocks),
		UnknownThread: unknown,
	})
	s.notifyLocked()
	return map[string]any{"message_ts": ts}, ""
}

// chatUpdate serves chat.update: the channel rules of chat.postMessage; ts
// must be a message the bot posted in that channel (message_not_found, or
// cant_update_message for messages added with AddMessage).
func (s *Server) chatUpdate(r *apiRequest) (map[string]any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, e := s.resolveChannelLocked(r.params.Get("channel"))
	if e != "" {
		return nil, e
	}
	ts := r.params.Get("ts")
	p, ok := s.posts[ch][ts]
	if !ok {
		return nil, "message_not_found"
	}
	if !p.byBot {
		return nil, "cant_update_message"
	}
	text, blocks, e := messageContent(r)
	if e != "" {
		return nil, e
	}
	s.updates = append(s.updates, Update{Channel: ch, TS: ts, Text: text, Blocks: rawOrNil(blocks)})
	s.notifyLocked()
	return map[string]any{
		"channel": ch, "ts": ts, "text": text,
		"message": botMessageJSON(text, blocks, ts, p.threadTS),
	}, ""
}
