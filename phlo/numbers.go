package phlo

import "strings"

// NumberFormat is how phone numbers are written on the wire. Plivo's docs
// and SDK examples disagree (see the package doc), and a member is matched
// by the exact string it was dialled with, so the client writes every
// number one way: in "to", in "trigger_source" and in member addresses.
type NumberFormat string

// The number formats. SIP addresses are never changed by either.
const (
	// NumberE164 writes "+14155550100", the form the bot's own parser
	// produces and PHLO Start-node examples use.
	NumberE164 NumberFormat = "e164"
	// NumberDigits writes "14155550100", as Plivo's SDK examples and Voice
	// API do, and as Plivo echoes numbers back.
	NumberDigits NumberFormat = "digits"
)

// Valid reports whether f is a known format.
func (f NumberFormat) Valid() bool { return f == NumberE164 || f == NumberDigits }

// apply writes addr in f when it is a phone number ("+" optional, then
// digits only); anything else, SIP URIs included, is returned unchanged.
func (f NumberFormat) apply(addr string) string {
	digits := strings.TrimPrefix(addr, "+")
	if digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
		return addr
	}
	if f == NumberDigits {
		return digits
	}
	return "+" + digits
}
