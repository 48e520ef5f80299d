package address

import (
	"net"
	"strconv"
	"strings"
)

// ParseSIP accepts "sip:user@host" or "sip:user@host:port". Parameters and
// headers (";transport=…", "?…") are refused rather than passed on, since
// Plivo documents only the plain form.
func ParseSIP(s string) (Address, error) {
	s = strings.TrimSpace(s)
	if !hasPrefixFold(s, "sip:") {
		return Address{}, &ParseError{Reason: `a SIP address starts with "sip:"`}
	}
	rest := s[len("sip:"):]
	if strings.ContainsAny(rest, ";?") {
		return Address{}, &ParseError{Reason: "SIP parameters and headers are not supported; use sip:user@host"}
	}
	at := strings.LastIndexByte(rest, '@')
	if at <= 0 {
		return Address{}, &ParseError{Reason: "a SIP address needs a user and a host: sip:user@host"}
	}
	user, hostport := rest[:at], rest[at+1:]
	for _, r := range user {
		if !isSIPUserRune(r) {
			return Address{}, &ParseError{Reason: "the user part of the SIP address has a character that is not allowed"}
		}
	}
	host, port := hostport, ""
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 {
		host, port = hostport[:i], hostport[i+1:]
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return Address{}, &ParseError{Reason: "the SIP port must be a number from 1 to 65535"}
		}
	}
	if !validHost(host) {
		return Address{}, &ParseError{Reason: "the host of the SIP address is not a valid domain name or IP address"}
	}
	value := "sip:" + user + "@" + strings.ToLower(host)
	if port != "" {
		value += ":" + port
	}
	return Address{kind: SIP, value: value}, nil
}

// isSIPUserRune allows RFC 3261's unreserved and user-unreserved characters,
// less the ones that would need escaping in a URL path.
func isSIPUserRune(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("-_.!~*'()&=+$,", r)
}

func validHost(host string) bool {
	if host == "" || len(host) > 253 {
		return false
	}
	if ip := net.ParseIP(host); ip != nil && ip.To4() != nil {
		return true
	}
	labels := strings.Split(host, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}
