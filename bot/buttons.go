package bot

import (
	"encoding/json"

	"github.com/slack-go/slack"
)

// The buttons' action IDs. Each press is once-only: its key names the
// message and the message's button sequence (buttonValue.Try), so a double
// click acts once, across replicas, while a press on the updated message
// (which carries the next sequence) acts again.
const (
	actionRetry        = "mpc_retry"         // a failed or unknown dial: send it again
	actionRetryRequest = "mpc_retry_request" // an interrupted request: dial whom it did not
	actionHold         = "mpc_hold"
	actionUnhold       = "mpc_unhold"
	actionHangup       = "mpc_hangup"
	actionRoster       = "mpc_roster" // the announcement's Roster button
)

// buttonValue is what a button carries. No number travels in it: button
// values reach every client in the channel.
type buttonValue struct {
	Version int `json:"v"`
	// Entry is the audit entry a dial button acts on; Request the request
	// a Retry of an interrupted request runs again.
	Entry   string `json:"a,omitempty"`
	Request string `json:"q,omitempty"`
	// Thread is the thread whose roster the Roster button shows.
	Thread string `json:"t,omitempty"`
	// Try numbers the states of one message, so one click in each state
	// counts and a double click does not.
	Try int `json:"n,omitempty"`
}

// buttonVersion is the value format; older values are refused.
const buttonVersion = 2

func (v buttonValue) encode() string {
	v.Version = buttonVersion
	data, _ := json.Marshal(v)
	return string(data)
}

func decodeButton(s string) (buttonValue, bool) {
	var v buttonValue
	if json.Unmarshal([]byte(s), &v) != nil || v.Version != buttonVersion {
		return buttonValue{}, false
	}
	return v, true
}

func button(actionID, label string, v buttonValue) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(actionID, v.encode(), plain(label))
}

// retryButton sends a failed dial again. For an unknown outcome it asks
// first, since the first call may still ring.
func retryButton(entry string, try int, unknown bool) *slack.ButtonBlockElement {
	btn := button(actionRetry, "Retry", buttonValue{Entry: entry, Try: try})
	if unknown {
		btn.Style = slack.StyleDanger
		btn.Confirm = slack.NewConfirmationBlockObject(plain("Dial again?"),
			mrkdwn("The first call may still ring. Check the bridge first: dialling again could ring them twice."),
			plain("Dial again"), plain("Cancel"))
	} else {
		btn.Style = slack.StylePrimary
	}
	return btn
}

// memberButtons act on someone on the call: hold, take off hold, hang up
// (behind a confirmation, since it drops them).
// thread, on a roster's buttons, is the thread the roster is about.
func memberButtons(entry string, try int, thread string) []slack.BlockElement {
	v := buttonValue{Entry: entry, Try: try, Thread: thread}
	hangup := button(actionHangup, "Hang up", v)
	hangup.Style = slack.StyleDanger
	hangup.Confirm = slack.NewConfirmationBlockObject(plain("Hang up?"),
		mrkdwn("This drops them from the call. They would have to be dialled again to rejoin."),
		plain("Hang up"), plain("Cancel"))
	return []slack.BlockElement{
		button(actionHold, "Hold", v),
		button(actionUnhold, "Take off hold", v),
		hangup,
	}
}

// rosterButton shows whom this place pulled onto the call.
func rosterButton(thread string) *slack.ButtonBlockElement {
	return button(actionRoster, "Roster", buttonValue{Thread: thread})
}
