package bot

import (
	"encoding/json"

	"github.com/mpc-bot/mpc-bot/conference"
)

// route says where a request's answers go. It travels inside the
// request (conference.Request.Reply), so that whichever replica finishes
// or explains the request can still reach the right channel, thread and
// person.
type route struct {
	Channel string `json:"c"`
	// Thread is the thread everything goes into (shortcut, mention); empty
	// for a slash command, whose announcement becomes the parent.
	Thread string `json:"t,omitempty"`
	// User is who asked: private answers go to them.
	User string `json:"u"`
	// ResponseURL reaches User privately where the bot is no member
	// (private channels, shared channels). It is a bearer secret for 30
	// minutes: never logged.
	ResponseURL string `json:"r,omitempty"`
	// Message is the message a button was pressed on, updated in place;
	// Try is its button sequence (see buttonValue).
	Message string `json:"m,omitempty"`
	Try     int    `json:"n,omitempty"`
	// Line is the pressed message's first line (the dial's outcome), kept
	// when the message is updated with who did what.
	Line string `json:"l,omitempty"`
	// Ephemeral marks Message as visible to the presser only, updated
	// through ResponseURL.
	Ephemeral bool `json:"e,omitempty"`
	// Roster marks a press on a roster line: the roster is shown again
	// afterwards.
	Roster bool `json:"ro,omitempty"`
	// DM marks a direct message with the app: the conversation is already
	// private, so private answers are plain messages there, which stay.
	DM bool `json:"dm,omitempty"`

	// --- Workflow Builder step "Add to call" (workflow*.go) ---
	// Function is the function_execution_id of the step this request runs:
	// its reporter completes the step when the request is done. Channel is
	// then the announce channel, or "" when the step names none.
	Function string `json:"fx,omitempty"`
	// FunctionToken is the execution's bot_access_token, the only token
	// functions.completeSuccess/completeError accept for it. It is a bearer
	// secret: never logged. It is stored with the request in the database
	// while the request lives (and until done requests are pruned); Slack
	// accepts it only until the step is completed.
	FunctionToken string `json:"ft,omitempty"`
	// --- end of the Workflow Builder step's fields ---
}

// reply is what the route says about private answers.
func (rt route) private() privateReply {
	return privateReply{responseURL: rt.ResponseURL, channelID: rt.Channel, userID: rt.User, threadTS: rt.Thread, dm: rt.DM}
}

func (rt route) encode() []byte {
	data, _ := json.Marshal(rt)
	return data
}

// routeOf decodes a request's route; a request without one (a front end
// that is not Slack) has none, and its reporter stays silent.
func routeOf(req conference.Request) (route, bool) {
	var rt route
	if len(req.Reply) == 0 || json.Unmarshal(req.Reply, &rt) != nil {
		return route{}, false
	}
	return rt, true
}
