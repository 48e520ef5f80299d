package blocktext

import (
	"regexp"
	"strings"
)

// Names turns the IDs in mrkdwn into the names a person sees. A nil func,
// or "" from one, falls back to the label the markup carries, else the ID.
type Names struct {
	User    func(id string) string // "alice" for U0ALICE
	Group   func(id string) string // "oncall" for S0ONCALL
	Channel func(id string) string // "incident" for C0INCIDENT
}

// token is Slack's angle-bracket markup: mentions, dates, links.
var token = regexp.MustCompile(`<([^<>\n]*)>`)

// Formatting markers, dropped around the words they format. Italic and
// strike need a non-word character (or an edge) outside them, so that
// api_id and snake_case stay whole.
var (
	bold   = regexp.MustCompile(`\*([^*\n]+)\*`)
	italic = regexp.MustCompile(`(^|[^\p{L}\p{N}_])_([^_\n]+)_($|[^\p{L}\p{N}_])`)
	strike = regexp.MustCompile(`(^|[^\p{L}\p{N}~])~([^~\n]+)~($|[^\p{L}\p{N}~])`)
	emoji  = regexp.MustCompile(`:([a-z0-9_+-]+):`)
)

// emojiFor is the emoji a terminal can show for a code; other codes stay
// as :code:, which is how Slack's own fallback text shows them.
func emojiFor(code string) (string, bool) {
	switch code {
	case "white_check_mark":
		return "✅", true
	case "x":
		return "❌", true
	case "warning":
		return "⚠️", true
	case "telephone_receiver":
		return "📞", true
	case "pause_button":
		return "⏸️", true
	case "arrow_forward":
		return "▶️", true
	case "no_entry_sign":
		return "🚫", true
	case "no_entry":
		return "⛔", true
	case "twisted_rightwards_arrows":
		return "🔀", true
	case "leftwards_arrow_with_hook":
		return "↩️", true
	case "hourglass":
		return "⌛", true
	case "hourglass_flowing_sand":
		return "⏳", true
	case "arrows_counterclockwise":
		return "🔄", true
	case "bust_in_silhouette":
		return "👤", true
	case "wastebasket":
		return "🗑️", true
	case "information_source":
		return "ℹ️", true
	case "lock":
		return "🔒", true
	}
	return "", false
}

// unescape undoes the three escapes Slack's text uses.
var unescape = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// Mrkdwn renders Slack mrkdwn as a person reads it: mentions as @name,
// channels as #name, dates as their fallback text, links as "label
// (url)", bold, italic and strike markers dropped, known emoji codes as
// the emoji, quotes behind a bar, and the escapes undone. Code spans keep
// their backticks, and no formatting applies inside them.
func (n Names) Mrkdwn(s string) string {
	var b strings.Builder
	for _, seg := range splitCode(s) {
		text := token.ReplaceAllStringFunc(seg.text, func(m string) string { return n.token(m[1 : len(m)-1]) })
		if !seg.code {
			text = bold.ReplaceAllString(text, "$1")
			text = replaceAllRepeated(italic, text, "$1$2$3")
			text = replaceAllRepeated(strike, text, "$1$2$3")
			text = emoji.ReplaceAllStringFunc(text, func(m string) string {
				if e, ok := emojiFor(m[1 : len(m)-1]); ok {
					return e
				}
				return m
			})
		}
		b.WriteString(text)
	}
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		if rest, ok := strings.CutPrefix(l, "&gt;"); ok {
			lines[i] = "┃" + rest
		} else if rest, ok := strings.CutPrefix(l, ">"); ok {
			lines[i] = "┃" + rest
		}
		lines[i] = unescape.Replace(lines[i])
	}
	return strings.Join(lines, "\n")
}

// replaceAllRepeated applies re until nothing changes: neighbouring
// matches share the character between them, which one pass skips.
func replaceAllRepeated(re *regexp.Regexp, s, repl string) string {
	for range 8 {
		next := re.ReplaceAllString(s, repl)
		if next == s {
			break
		}
		s = next
	}
	return s
}

// token renders the inside of one <…>.
func (n Names) token(inner string) string {
	body, label, hasLabel := strings.Cut(inner, "|")
	named := func(prefix string, lookup func(string) string, id string) string {
		if lookup != nil {
			if name := lookup(id); name != "" {
				return prefix + name
			}
		}
		if hasLabel && label != "" {
			return prefix + strings.TrimPrefix(label, prefix)
		}
		return prefix + id
	}
	switch {
	case strings.HasPrefix(body, "@"):
		return named("@", n.User, body[1:])
	case strings.HasPrefix(body, "#"):
		return named("#", n.Channel, body[1:])
	case strings.HasPrefix(body, "!subteam^"):
		return named("@", n.Group, strings.TrimPrefix(body, "!subteam^"))
	case strings.HasPrefix(body, "!date^"):
		if hasLabel {
			return label
		}
		return "(a date)"
	case body == "!here" || body == "!channel" || body == "!everyone":
		return "@" + body[1:]
	case strings.HasPrefix(body, "!"):
		if hasLabel {
			return label
		}
		return body
	case hasLabel && label != "" && label != body:
		if strings.HasPrefix(body, "mailto:") {
			return label
		}
		return label + " (" + body + ")"
	}
	return body
}

// segment is a run of text that is, or is not, code.
type segment struct {
	text string
	code bool
}

// splitCode cuts s at ``` blocks and ` spans; an opener without its
// closer is plain text.
func splitCode(s string) []segment {
	var out []segment
	for s != "" {
		i := strings.Index(s, "`")
		if i < 0 {
			out = append(out, segment{text: s})
			break
		}
		fence := "`"
		if strings.HasPrefix(s[i:], "```") {
			fence = "```"
		}
		j := strings.Index(s[i+len(fence):], fence)
		if j < 0 {
			out = append(out, segment{text: s})
			break
		}
		end := i + len(fence) + j + len(fence)
		if i > 0 {
			out = append(out, segment{text: s[:i]})
		}
		out = append(out, segment{text: s[i:end], code: true})
		s = s[end:]
	}
	return out
}
