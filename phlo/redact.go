package phlo

import (
	"cmp"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// mask replaces secrets and addresses in error text.
const mask = "***"

// minSecretLen avoids masking tiny values (which would mangle unrelated
// text); real auth ids, tokens, phone numbers and SIP URIs are all longer.
const minSecretLen = 4

// redactor masks the values of one request (credentials, to,
// trigger_source, member address) in any text that ends up in an error
// string. Plivo may echo a number in a 400 message, and transport errors may
// carry the URL, so masking is applied to every message, not just to the
// places we know about.
type redactor struct{ r *strings.Replacer }

func newRedactor(authID, authToken string, values ...string) redactor {
	var olds []string
	add := func(v string) {
		if len(v) >= minSecretLen {
			olds = append(olds, v)
		}
	}
	add(authID)
	add(authToken)
	if authID != "" || authToken != "" {
		add(base64.StdEncoding.EncodeToString([]byte(authID + ":" + authToken)))
	}
	for _, v := range values {
		// Also the forms a server or URL might echo: with and without the
		// leading "+" of E.164, without "sip:", and escaped.
		add(v)
		digits := strings.TrimPrefix(v, "+")
		add(digits)
		if digits != "" && strings.TrimLeft(digits, "0123456789") == "" {
			add("+" + digits)
		}
		add(strings.TrimPrefix(v, "sip:"))
		add(url.PathEscape(v))
		add(url.QueryEscape(v))
	}
	if len(olds) == 0 {
		return redactor{}
	}
	// strings.Replacer tries the olds in argument order at each position,
	// so longer values go first: "+14155550100" must be masked whole, not
	// leave a "+" behind after "14155550100" matched.
	slices.SortFunc(olds, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	olds = slices.Compact(olds)
	pairs := make([]string, 0, 2*len(olds))
	for _, o := range olds {
		pairs = append(pairs, o, mask)
	}
	return redactor{strings.NewReplacer(pairs...)}
}

func (r redactor) String(s string) string {
	if r.r == nil {
		return s
	}
	return r.r.Replace(s)
}

// Error returns err with secrets masked in its message; err itself stays
// reachable through Unwrap.
func (r redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if m := r.String(msg); m != msg {
		return &redactedError{msg: m, err: err}
	}
	return err
}

// maxMessage bounds APIError.Message.
const maxMessage = 200

// excerpt makes a one-line, valid UTF-8 message of at most maxMessage bytes
// from untrusted server text.
func excerpt(b []byte) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	// Collapse all whitespace and control characters so a multi-line HTML
	// error page cannot inject lines into logs.
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
	if len(s) <= maxMessage {
		return s
	}
	const ellipsis = "…"
	cut := maxMessage - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}
