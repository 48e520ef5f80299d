package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/mpc-bot/mpc-bot/phlo"
)

// phloOutcome turns the PHLO client's answer into what the person is told.
// The reasons never contain credentials: phlo's errors carry none, and only
// the status, Plivo's own message and our advice are shown.
func phloOutcome(res phlo.Result, err error) outcome {
	if err == nil {
		return outcome{status: outcomeDialled, apiID: res.APIID}
	}
	var apiErr *phlo.APIError
	var reqErr *phlo.RequestError
	switch {
	case errors.As(err, &apiErr):
		return apiErrorOutcome(apiErr)
	case errors.As(err, &reqErr) && !reqErr.Sent && errors.Is(err, context.DeadlineExceeded):
		return outcome{status: outcomeFailed, reason: "its turn did not come in time (Plivo allows 300 requests per 5 s, and mpc-bot was busy), so nothing was dialled. Try again in a minute."}
	case errors.As(err, &reqErr) && !reqErr.Sent && errors.Is(err, context.Canceled):
		return outcome{status: outcomeFailed, reason: "mpc-bot was shutting down before it could call Plivo, so nothing was dialled. Try again in a moment."}
	case errors.As(err, &reqErr) && !reqErr.Sent:
		return outcome{status: outcomeFailed, reason: "mpc-bot could not reach Plivo, so nothing was dialled. Try again in a moment; if it keeps failing, an admin should check the bot's network access to Plivo."}
	case errors.Is(err, context.DeadlineExceeded):
		return outcome{status: outcomeUnknown, reason: "Plivo did not answer in time. The call may still be placed: check the bridge before you try again."}
	case errors.Is(err, context.Canceled):
		return outcome{status: outcomeUnknown, reason: "mpc-bot was shutting down before Plivo answered. The call may still be placed: check the bridge before you try again."}
	case phlo.OutcomeUnknown(err):
		return outcome{status: outcomeUnknown, reason: "the connection to Plivo broke after the request was sent. The call may or may not be placed: check the bridge before you try again."}
	}
	return outcome{status: outcomeUnknown, reason: "mpc-bot got an unexpected answer from Plivo. Check the bridge before you try again."}
}

func apiErrorOutcome(e *phlo.APIError) outcome {
	status := fmt.Sprintf("HTTP %d", e.StatusCode)
	said := ""
	if m := plivoMessage(e.Message); m != "" {
		said = " Plivo said: " + m
	}
	failed := func(reason string) outcome { return outcome{status: outcomeFailed, reason: reason} }
	switch {
	case e.StatusCode >= 200 && e.StatusCode < 300:
		return outcome{status: outcomeUnknown, reason: fmt.Sprintf("Plivo accepted the request (%s) but its answer made no sense.%s Check the bridge before you try again.", status, said)}
	case e.StatusCode == http.StatusUnauthorized:
		return failed(fmt.Sprintf("Plivo rejected mpc-bot's credentials (%s), so nothing was dialled. An admin needs to check `PLIVO_AUTH_ID` and `PLIVO_AUTH_TOKEN`.", status))
	case e.StatusCode == http.StatusForbidden:
		return failed(fmt.Sprintf("Plivo refused (%s): PHLO is not enabled on this account, or the account is not verified. Nothing was dialled.%s", status, said))
	case e.StatusCode == http.StatusNotFound:
		return failed(fmt.Sprintf("Plivo does not know this PHLO or its Multi-Party Call node, or the PHLO is not deployed (%s). Nothing was dialled. An admin needs to check `PHLO_ID` and `PHLO_NODE_ID`.", status))
	case e.StatusCode == http.StatusTooManyRequests:
		return failed(fmt.Sprintf("Plivo is rate-limiting this account (%s) and still was after %d tries. Nothing was dialled; try again in a minute.", status, e.Attempts))
	case e.StatusCode >= 500:
		return outcome{status: outcomeUnknown, reason: fmt.Sprintf("Plivo had an internal error (%s). The call may or may not be placed: check the bridge before you try again.%s", status, said)}
	case e.StatusCode == http.StatusBadRequest:
		return failed(fmt.Sprintf("Plivo refused the request as invalid (%s), so nothing was dialled.%s", status, said))
	}
	return failed(fmt.Sprintf("Plivo refused the request (%s), so nothing was dialled.%s", status, said))
}

// plivoMessage bounds and escapes Plivo's free-text error for display.
func plivoMessage(s string) string {
	const max = 200
	s = strings.TrimSpace(strings.ToValidUTF8(s, ""))
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	if s == "" {
		return ""
	}
	return "_" + escape(strings.ReplaceAll(s, "_", " ")) + "_"
}
