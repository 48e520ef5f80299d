package slacktest

import "strings"

// User is a workspace member served by users.info. Enterprise Grid users
// have W… IDs; they work like U… IDs.
type User struct {
	ID       string
	Name     string // handle, e.g. "alice"
	RealName string
	Phone    string // served as profile.phone
	IsBot    bool
	Deleted  bool
	// External marks a person from another organisation who shares a Slack
	// Connect channel with the workspace. users.info answers user_not_found
	// for them (one of the answers real Slack gives for people the bot's
	// organisation cannot see), and the bot cannot DM them by user ID; they
	// can still be in user groups, send events and get ephemeral messages.
	External bool
}

// Channel is a conversation the chat.* methods and conversations.info know.
type Channel struct {
	ID          string
	Name        string
	Private     bool // a private channel
	IM          bool // a direct message with the bot
	BotIsMember bool
}

type userGroup struct {
	handle string
	users  []string
}

// post is a message the fake knows about, for thread_ts and chat.update checks.
type post struct {
	threadTS string // "" for a top-level message
	byBot    bool
}

// AddUser adds or replaces a user. The bot user (BotUserID) is pre-registered.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = u
}

// AddChannel adds or replaces a channel.
func (s *Server) AddChannel(c Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[c.ID] = c
}

// AddUserGroup adds or replaces a user group (subteam) served by
// usergroups.users.list.
func (s *Server) AddUserGroup(id, handle string, userIDs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[id] = userGroup{handle: handle, users: append([]string{}, userIDs...)}
}

// AddMessage makes the fake know a message that was not posted by the bot
// (e.g. the user message a message shortcut points at), so that replies with
// thread_ts = ts count as threaded under a known parent. threadTS is "" for a
// top-level message. The bot cannot chat.update such a message.
func (s *Server) AddMessage(channel, ts, threadTS string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addPostLocked(channel, ts, post{threadTS: threadTS})
}

func (s *Server) addPostLocked(channel, ts string, p post) {
	m := s.posts[channel]
	if m == nil {
		m = map[string]post{}
		s.posts[channel] = m
	}
	m[ts] = p
}

// isTopLevelLocked reports whether ts names a known top-level message in channel.
func (s *Server) isTopLevelLocked(channel, ts string) bool {
	p, ok := s.posts[channel][ts]
	return ok && p.threadTS == ""
}

// resolveChannelLocked applies the chat.* channel rules. It returns the
// conversation ID to post to, or a Slack error:
//   - unknown channel: channel_not_found
//   - IM the bot is not in: channel_not_found
//   - private channel the bot is not in: not_in_channel
//   - public channel: allowed whether or not the bot is a member (chat:write.public)
//   - a known user ID (not deleted, not External): allowed, posts to the DM
//     with that user, DMChannelID(id)
//   - DMChannelID of such a user: allowed
func (s *Server) resolveChannelLocked(id string) (string, string) {
	if id == "" {
		return "", "channel_not_found"
	}
	if c, ok := s.channels[id]; ok {
		switch {
		case c.IM && !c.BotIsMember:
			return "", "channel_not_found"
		case c.Private && !c.BotIsMember:
			return "", "not_in_channel"
		}
		return id, ""
	}
	if u, ok := s.users[id]; ok && !u.Deleted && !u.External {
		return DMChannelID(id), ""
	}
	if _, ok := s.dmUserLocked(id); ok {
		return id, ""
	}
	return "", "channel_not_found"
}

// DMChannelID returns the fake's ID of the bot's DM with a user:
// "D"+id[1:] for U… IDs ("U123" → "D123"), "D"+id for others ("W123" →
// "DW123").
func DMChannelID(userID string) string {
	return "D" + strings.TrimPrefix(userID, "U")
}

// dmUserLocked reports whether id is the DMChannelID of a user the bot can
// DM (known, not deleted, not External), and which. s.mu must be held.
func (s *Server) dmUserLocked(id string) (string, bool) {
	rest, ok := strings.CutPrefix(id, "D")
	if !ok || rest == "" {
		return "", false
	}
	for _, userID := range []string{"U" + rest, rest} {
		if u, ok := s.users[userID]; ok && DMChannelID(userID) == id && !u.Deleted && !u.External {
			return userID, true
		}
	}
	return "", false
}

func userJSON(u User) map[string]any {
	return map[string]any{
		"id":        u.ID,
		"team_id":   TeamID,
		"name":      u.Name,
		"real_name": u.RealName,
		"deleted":   u.Deleted,
		"is_bot":    u.IsBot,
		"tz":        "Europe/Berlin",
		"tz_label":  "Central European Time",
		"tz_offset": 3600,
		"profile": map[string]any{
			"real_name":    u.RealName,
			"display_name": u.Name,
			"phone":        u.Phone,
			"team":         TeamID,
		},
	}
}

func channelJSON(c Channel) map[string]any {
	return map[string]any{
		"id":              c.ID,
		"name":            c.Name,
		"name_normalized": c.Name,
		"is_channel":      !c.IM,
		"is_group":        false,
		"is_im":           c.IM,
		"is_mpim":         false,
		"is_private":      c.Private,
		"is_member":       c.BotIsMember,
		"is_archived":     false,
	}
}
