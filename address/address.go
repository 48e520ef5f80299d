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
	premium bool
}

// String returns the normalised form that PHLO receives.
func (a Address) String() string { return a.value }

// Kind reports whether a is a phone number or a SIP endpoint.
func (a Address) Kind() Kind { return a.kind }

// IsZero reports whether a holds no address.
func (a Address) IsZero() bool { return a.value == "" }

// ParseError says why a string is not a dialable address. Its message is
// meant for the person who typed the string and never repeats the input, so
// it is safe to log.
type ParseError struct {
	Reason string
}

func (e *ParseError) Error() string { return e.Reason }

// ErrEmpty is returned for an empty or all-blank input.
var ErrEmpty = &ParseError{Reason: "no phone number or SIP address given"}

// Parse accepts an E.164 number as people paste it ("+1 (415) 555-0100"), a
// national number in defaultRegion ("415 555 0100" with region "US"), a
// tel: URI, or a SIP URI ("sip:alice@example.com"), and returns its
// normalised form.
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
// returns it in E.164. Only digits and the punctuation people write in
// numbers are allowed, because phonenumbers itself skips trailing words and
// would accept "+14155550100 please".
func ParsePhone(s, defaultRegion string) (Address, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Address{}, ErrEmpty
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
		return Address{}, &ParseError{Reason: phoneParseReason(err)}
	}
	if num.GetExtension() != "" {
		return Address{}, &ParseError{Reason: "extensions cannot be dialled; give the number without one"}
	}
	if !phonenumbers.IsValidNumber(num) {
		return Address{}, &ParseError{Reason: invalidReason(num)}
	}
	return Address{
		kind:    Phone,
		value:   phonenumbers.Format(num, phonenumbers.E164),
		premium: phonenumbers.GetNumberType(num) == phonenumbers.PREMIUM_RATE,
	}, nil
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
		// "+1 911", "+44 999": a country code then the short code. Country
		// codes are prefix-free, so the first length that names one is it.
		for n := 1; n <= 3 && n < len(d); n++ {
			if cc, err := strconv.Atoi(d[:n]); err == nil && phonenumbers.GetRegionCodeForCountryCode(cc) != "ZZ" {
				return emergencyNumbers[d[n:]]
			}
		}
		return false
	}
	return emergencyNumbers[d]
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

func phoneParseReason(err error) string {
	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return "unknown country code"
	case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
		return "too short to be a phone number"
	case errors.Is(err, phonenumbers.ErrNumTooLong):
		return "too long to be a phone number"
	default:
		return "not a phone number"
	}
}

func invalidReason(num *phonenumbers.PhoneNumber) string {
	switch phonenumbers.IsPossibleNumberWithReason(num) {
	case phonenumbers.TOO_SHORT:
		return "too short to be a phone number"
	case phonenumbers.TOO_LONG:
		return "too long to be a phone number"
	case phonenumbers.INVALID_COUNTRY_CODE:
		return "unknown country code"
	}
	region := phonenumbers.GetRegionCodeForCountryCode(int(num.GetCountryCode()))
	return fmt.Sprintf("not a valid number for country code +%d (%s)", num.GetCountryCode(), region)
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
