// Package address parses and normalises the parties PHLO can dial: E.164
// phone numbers and SIP endpoints. It is the one place that decides what a
// dialable string looks like, so the slash command, the directory file and
// Slack profiles all accept exactly the same things.
package address

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// Kind tells a phone number from a SIP endpoint.
type Kind int

// The kinds of Address.
const (
	Phone Kind = iota + 1
	SIP
)

// maxInput bounds what Parse looks at; no real number or SIP URI is longer,
// and phonenumbers does quadratic work on long garbage.
const maxInput = 256

// Address is a normalised, dialable party: "+14155550100" or
// "sip:alice@example.com". The zero value is not dialable.
type Address struct {
	kind    Kind
	value   string
	ext     string
	premium bool
}

// String returns the normalised form that PHLO receives, without any
// extension.
func (a Address) String() string { return a.value }

// Extension returns the digits of a desk phone's extension ("123" for
// "+1 415 555 0100 x123"), or "". PHLO cannot send digits once a call is
// answered, so String leaves it out and each caller decides whether the
// main number will do.
func (a Address) Extension() string { return a.ext }

// Kind reports whether a is a phone number or a SIP endpoint.
func (a Address) Kind() Kind { return a.kind }

// IsZero reports whether a holds no address.
func (a Address) IsZero() bool { return a.value == "" }

// extParam joins an extension to its number in MarshalText, as RFC 3966
// does in tel: URIs.
const extParam = ";ext="

// MarshalText returns the normalised form, so an Address can be stored (in
// JSON, with omitzero) and read back as it was. An extension is kept, as
// "+14155550100;ext=123", so that a stored party that needs one is not
// read back as one that does not; the zero Address gives empty text.
func (a Address) MarshalText() ([]byte, error) {
	if a.ext != "" {
		return []byte(a.value + extParam + a.ext), nil
	}
	return []byte(a.value), nil
}

// UnmarshalText reads what MarshalText wrote. Stored values are already
// E.164 or sip:, so it takes no default region and refuses a number
// without a country code; empty text gives the zero Address.
func (a *Address) UnmarshalText(text []byte) error {
	s := string(text)
	if strings.TrimSpace(s) == "" {
		*a = Address{}
		return nil
	}
	ext := ""
	if !hasPrefixFold(strings.TrimSpace(s), "sip:") {
		if main, e, ok := strings.Cut(s, extParam); ok {
			if e == "" || strings.Trim(e, "0123456789") != "" {
				return &ParseError{Reason: "an extension is written with the digits 0 to 9"}
			}
			s, ext = main, e
		}
	}
	parsed, err := Parse(s, "")
	if err != nil {
		return err
	}
	if ext != "" {
		if parsed.ext != "" {
			return &ParseError{Reason: "a phone number has at most one extension"}
		}
		parsed.ext = ext
	}
	*a = parsed
	return nil
}

// ParseError says why a string is not a dialable address. Its message is
// meant for the person who typed the string and never repeats the input, so
// it is safe to log.
type ParseError struct {
	Reason string
	// TooLong is set when the input has more digits than any phone number.
	// That is what two numbers run together look like ("415 555 0100 415
	// 555 0101"), so a caller that splits numbers at "+" can suggest
	// starting each with one.
	TooLong bool
}

func (e *ParseError) Error() string { return e.Reason }

// ErrEmpty is returned for an empty or all-blank input.
var ErrEmpty = &ParseError{Reason: "no phone number or SIP address given"}

// Parse accepts an E.164 number as people paste it ("+1 (415) 555-0100"), a
// national number in defaultRegion ("415 555 0100" with region "US"), a
// tel: URI, or a SIP URI ("sip:alice@example.com"), and returns its
// normalised form. A phone number may end in an extension ("x123",
// "ext. 123", "extension 123", "#123"), which Extension returns.
func Parse(s, defaultRegion string) (Address, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return Address{}, ErrEmpty
	case len(s) > maxInput:
		return Address{}, &ParseError{Reason: fmt.Sprintf("longer than %d characters", maxInput)}
	case !utf8.ValidString(s):
		return Address{}, &ParseError{Reason: "not valid text"}
	case hasPrefixFold(s, "sip:"):
		return ParseSIP(s)
	case hasPrefixFold(s, "sips:"):
		return Address{}, &ParseError{Reason: "sips: addresses are not supported; use sip:"}
	case hasPrefixFold(s, "tel:"):
		s = s[len("tel:"):]
	}
	return ParsePhone(s, defaultRegion)
}

// ParsePhone parses a phone number with github.com/nyaruka/phonenumbers and
// returns it in E.164. Only digits, the punctuation people write in numbers
// and a trailing extension are allowed, because phonenumbers itself skips
// trailing words and would accept "+14155550100 please".
func ParsePhone(s, defaultRegion string) (Address, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Address{}, ErrEmpty
	}
	s, ext, err := splitExtension(s)
	if err != nil {
		return Address{}, err
	}
	for _, r := range s {
		if !isPhoneRune(r) {
			return Address{}, &ParseError{Reason: fmt.Sprintf("%q is not allowed in a phone number", r)}
		}
	}
	if !strings.HasPrefix(s, "+") && defaultRegion == "" {
		return Address{}, &ParseError{Reason: "a phone number needs a country code, e.g. +14155550100"}
	}
	if isEmergency(s) {
		return Address{}, &ParseError{Reason: "that is an emergency number: mpc-bot never dials emergency services, call them yourself"}
	}
	num, err := phonenumbers.Parse(s, strings.ToUpper(defaultRegion))
	if err != nil {
		return Address{}, phoneParseError(err)
	}
	// A number of no known type is not valid (this is IsValidNumber's own
	// test): asking for the type once matches the number against its
	// region's patterns once, where IsValidNumber and then GetNumberType
	// would do it twice.
	typ := phonenumbers.GetNumberType(num)
	if typ == phonenumbers.UNKNOWN {
		return Address{}, invalidError(num)
	}
	return Address{
		kind:    Phone,
		value:   phonenumbers.Format(num, phonenumbers.E164),
		ext:     ext,
		premium: typ == phonenumbers.PREMIUM_RATE,
	}, nil
}

// splitExtension cuts an extension off the end of s where phonenumbers
// finds one, but only behind the labels desk phones are written with. The
// rest of what phonenumbers knows (",,", ";", "~", "int", a trailing "#")
// stays refused: those are likelier a list or a typo than an extension.
// Without an extension, s comes back whole.
func splitExtension(s string) (main, ext string, err error) {
	if !strings.ContainsFunc(s, func(r rune) bool { return !isPhoneRune(r) }) {
		return s, "", nil // no label, so no extension: skip the long regexp
	}
	main, ext = phonenumbers.MaybeSeparateExtensionFromPhone(s)
	if ext == "" {
		return s, "", nil
	}
	label, ok := strings.CutSuffix(s[len(main):], ext)
	if !ok || !extensionLabel(label) {
		return s, "", nil
	}
	for _, r := range ext {
		if r < '0' || r > '9' {
			return "", "", &ParseError{Reason: "an extension is written with the digits 0 to 9"}
		}
	}
	return main, ext, nil
}

// extensionLabel reports whether label, what separates a number from its
// extension's digits, is one of " x", " ext. ", " extension: ", " #" and
// the like.
func extensionLabel(label string) bool {
	const blanks = " \u00a0"
	label = strings.ToLower(strings.Trim(label, blanks))
	if label == "#" {
		return true
	}
	label = strings.TrimRight(label, blanks+"-")
	label = strings.TrimRight(strings.TrimSuffix(strings.TrimSuffix(label, "."), ":"), blanks)
	switch label {
	case "x", "ext", "extn", "extension":
		return true
	}
	return false
}

// emergencyNumbers are the short codes of emergency services in the
// regions phonenumbers knows best. They never parse as valid numbers, but
// saying why beats "too short".
var emergencyNumbers = map[string]bool{
	"911": true, "112": true, "999": true, "000": true, "110": true, "119": true,
	"100": true, "101": true, "102": true, "108": true, "118": true, "190": true,
	"193": true, "15": true, "17": true, "18": true, "061": true, "066": true,
}

func isEmergency(s string) bool {
	var digits strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			digits.WriteRune(r)
		}
	}
	d := digits.String()
	if strings.HasPrefix(s, "+") {
		// "+1 911", "+44 999": a country code then the short code.
		n := countryCodeLen(d)
		return n > 0 && n < len(d) && emergencyNumbers[d[n:]]
	}
	return emergencyNumbers[d]
}

// countryCodeLen returns how many of the leading digits of an international
// number are its country code, or 0 if none is known. Country codes are
// prefix-free, so the first length that names one is it.
func countryCodeLen(digits string) int {
	for n := 1; n <= 3 && n <= len(digits); n++ {
		if cc, err := strconv.Atoi(digits[:n]); err == nil && phonenumbers.GetRegionCodeForCountryCode(cc) != "ZZ" {
			return n
		}
	}
	return 0
}

// PremiumRate reports whether a is a premium-rate number, which policy
// refuses to dial whatever the allow-lists say.
func (a Address) PremiumRate() bool { return a.premium }

// HasPrefix reports whether a phone number starts with prefix ("+1",
// "+4420"), or a SIP address's host is domain or one of its subdomains
// (prefix "example.com" or "sip:example.com").
func (a Address) HasPrefix(prefix string) bool {
	switch a.kind {
	case Phone:
		return strings.HasPrefix(prefix, "+") && strings.HasPrefix(a.value, prefix)
	case SIP:
		domain := strings.ToLower(strings.TrimPrefix(prefix, "sip:"))
		host := a.value[strings.LastIndexByte(a.value, '@')+1:]
		if i := strings.LastIndexByte(host, ':'); i >= 0 {
			host = host[:i]
		}
		return host == domain || strings.HasSuffix(host, "."+domain)
	}
	return false
}

func phoneParseError(err error) *ParseError {
	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return &ParseError{Reason: "unknown country code"}
	case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
		return &ParseError{Reason: "too short to be a phone number"}
	case errors.Is(err, phonenumbers.ErrNumTooLong):
		return tooLong()
	default:
		return &ParseError{Reason: "not a phone number"}
	}
}

func invalidError(num *phonenumbers.PhoneNumber) *ParseError {
	switch phonenumbers.IsPossibleNumberWithReason(num) {
	case phonenumbers.TOO_SHORT:
		return &ParseError{Reason: "too short to be a phone number"}
	case phonenumbers.TOO_LONG:
		return tooLong()
	case phonenumbers.INVALID_COUNTRY_CODE:
		return &ParseError{Reason: "unknown country code"}
	}
	region := phonenumbers.GetRegionCodeForCountryCode(int(num.GetCountryCode()))
	return &ParseError{Reason: fmt.Sprintf("not a valid number for country code +%d (%s)", num.GetCountryCode(), region)}
}

func tooLong() *ParseError {
	return &ParseError{Reason: "too long to be a phone number", TooLong: true}
}

func isPhoneRune(r rune) bool {
	switch {
	case r >= '0' && r <= '9':
		return true
	case r == '+', r == '-', r == '(', r == ')', r == '.', r == ' ', r == '\u00a0':
		return true
	}
	return false
}

// ValidRegion reports whether region is a CLDR region code that phonenumbers
// has metadata for, such as "US" or "GB".
func ValidRegion(region string) bool {
	return phonenumbers.GetSupportedRegions()[strings.ToUpper(region)]
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
