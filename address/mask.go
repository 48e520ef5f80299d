package address

import (
	"log/slog"
	"strings"
)

const maskDots = "•••"

// Masked returns a form of a that is safe for logs and shared channels: it
// keeps enough to tell numbers apart ("+1415•••0100",
// "sip:al•••@example.com") and hides the rest.
func (a Address) Masked() string {
	switch a.kind {
	case Phone:
		return maskDigits(a.value)
	case SIP:
		rest := a.value[len("sip:"):]
		at := strings.LastIndexByte(rest, '@')
		user := rest[:at]
		keep := min(2, len(user)/2)
		return "sip:" + user[:keep] + maskDots + rest[at:]
	}
	return ""
}

// maskDigits keeps the country-code end and the last four digits of a long
// E.164 number, and less of a short one, so at least half is always hidden.
func maskDigits(e164 string) string {
	n := len(e164)
	head, tail := 5, 4
	if n < 12 {
		head, tail = 3, 2
	}
	if head+tail >= n {
		return e164[:min(2, n)] + maskDots
	}
	return e164[:head] + maskDots + e164[n-tail:]
}

// LogValue makes slog print the masked form, so a full number cannot reach
// a log line by accident.
func (a Address) LogValue() slog.Value { return slog.StringValue(a.Masked()) }
