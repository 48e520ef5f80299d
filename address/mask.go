package address

import (
	"log/slog"
	"strings"
)

const maskDots = "•••"

// Masked returns a form of a that is safe for logs and shared channels: it
// keeps enough to tell numbers apart ("+1•••0100", "sip:al•••@example.com")
// and hides the rest. The extension, if any, is left out.
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

// maskDigits shows at most the country code and the last four digits of
// an E.164 number, and never more than half its digits: a short number
// loses tail digits first, then the country code if even that is more
// than half.
func maskDigits(e164 string) string {
	digits := strings.TrimPrefix(e164, "+")
	show := len(digits) / 2
	head := countryCodeLen(digits)
	if head > show {
		head = 0
	}
	tail := min(4, show-head)
	return "+" + digits[:head] + maskDots + digits[len(digits)-tail:]
}

// LogValue makes slog print the masked form, so a full number cannot reach
// a log line by accident.
func (a Address) LogValue() slog.Value { return slog.StringValue(a.Masked()) }
