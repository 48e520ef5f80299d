package bot

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mpc-bot/mpc-bot/address"
	"github.com/mpc-bot/mpc-bot/phlo"
)

// The slash command grammar is a public contract (README, "Commands"):
//
//	/mpc-add <to> [agent|customer]   to: E.164 number, local number, sip:user@host, or @person
//	/mpc-add help
//	/mpc-add                          (same as help until the modal lands)

// maxCommandText bounds the text we parse. The longest valid command is a
// SIP URI plus a role; anything near this is pasted garbage.
const maxCommandText = 400

// CommandKind says what a /mpc-add invocation asks for.
type CommandKind int

// The kinds of Command.
const (
	CommandHelp CommandKind = iota + 1
	CommandAdd
)

// Command is a parsed /mpc-add invocation.
type Command struct {
	Kind CommandKind
	// To is the number or SIP address to dial, when the command names one.
	To address.Address
	// ToUser is the Slack user to dial, when the command mentions one.
	ToUser string
	Role   phlo.Role
}

// UsageError is a mistake in what the user typed. Its message is written for
// them, in Slack mrkdwn, and quotes only what they typed.
type UsageError struct {
	Message string
}

func (e *UsageError) Error() string { return e.Message }

// mentionPattern matches an escaped user mention, as Slack sends it when the
// command has should_escape: "<@U0123ABCD|alice>" or "<@U0123ABCD>".
var mentionPattern = regexp.MustCompile(`^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$`)

const usageLine = "Usage: `/mpc-add +14155550100 [agent|customer]`, `/mpc-add sip:alice@example.com`, `/mpc-add @alice` or `/mpc-add help`."

// ParseCommand parses the text after /mpc-add. defaultRegion applies to
// numbers written without a country code.
func ParseCommand(text, defaultRegion string) (Command, error) {
	if len(text) > maxCommandText {
		return Command{}, usageErrorf("That is too long for `/mpc-add` (%d characters; at most %d). %s", utf8.RuneCountInString(text), maxCommandText, usageLine)
	}
	if !utf8.ValidString(text) {
		return Command{}, usageErrorf("That text is not valid UTF-8, so I cannot read a number from it. %s", usageLine)
	}
	for _, r := range text {
		if unicode.IsControl(r) && !unicode.IsSpace(r) || r == utf8.RuneError {
			return Command{}, usageErrorf("That text contains control characters (U+%04X), which never appear in a number. %s", r, usageLine)
		}
	}
	words := strings.Fields(unwrapLinks(text))
	if len(words) == 0 {
		return Command{Kind: CommandHelp}, nil
	}
	if len(words) == 1 && strings.EqualFold(words[0], "help") {
		return Command{Kind: CommandHelp}, nil
	}

	cmd := Command{Kind: CommandAdd, Role: phlo.RoleAgent}
	var rest []string
	switch first := words[0]; {
	case mentionPattern.MatchString(first):
		cmd.ToUser = mentionPattern.FindStringSubmatch(first)[1]
		rest = words[1:]
	case strings.HasPrefix(first, "<!subteam^"):
		return Command{}, usageErrorf("User groups such as %s cannot be dialled yet; mention one person. %s", quote(first), usageLine)
	case strings.HasPrefix(first, "@"):
		return Command{}, usageErrorf("I cannot tell who %s is. Pick the person from Slack's autocomplete so the mention turns into a link, or give their number. %s", quote(first), usageLine)
	case isRole(first):
		return Command{}, usageErrorf("Whom should I dial as %s? Put the number first: `/mpc-add +14155550100 %s`.", quote(first), strings.ToLower(first))
	default:
		n := destinationWords(words)
		dest := strings.Join(words[:n], " ")
		a, err := address.Parse(dest, defaultRegion)
		if err != nil {
			return Command{}, usageErrorf("%s is not a number or SIP address I can dial: %v. %s", quote(dest), err, usageLine)
		}
		cmd.To = a
		rest = words[n:]
	}

	switch len(rest) {
	case 0:
	case 1:
		role, err := phlo.ParseRole(rest[0])
		if err != nil {
			return Command{}, usageErrorf("%s is not a role: use `agent` or `customer` (the default is agent).", quote(rest[0]))
		}
		cmd.Role = role
	default:
		return Command{}, usageErrorf("I did not expect %s after the number and role. %s", quote(strings.Join(rest, " ")), usageLine)
	}
	return cmd, nil
}

// destinationWords returns how many leading words make up the destination:
// a SIP URI or link is one word, while a pasted number may be several
// ("+1 (415) 555-0100"). A first word with letters in it is taken whole, so
// that address.Parse can say what is wrong with it.
func destinationWords(words []string) int {
	if !isNumberish(words[0]) {
		return 1
	}
	n := 1
	for n < len(words) && isNumberish(words[n]) {
		n++
	}
	return n
}

// isNumberish reports whether w can be part of a pasted number: no letters,
// and either a digit or only number punctuation. Stray symbols ("0100`;")
// still count, so address.Parse can name the character that is wrong.
func isNumberish(w string) bool {
	if strings.HasPrefix(strings.ToLower(w), "tel:") {
		return true
	}
	for _, r := range w {
		if unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// linkPattern matches Slack's escaped links in command text: "<tel:…|…>",
// "<mailto:…|…>". Mentions ("<@U…>", "<!subteam^…>") are left alone.
var linkPattern = regexp.MustCompile(`<((?i:tel|mailto):[^|>]*)(?:\|[^>]*)?>`)

// unwrapLinks replaces Slack's links with what they point at, so a linked
// number with spaces in its label stays one word: "<tel:+1415…|+1 415 …>"
// becomes "tel:+1415…", and "<mailto:a@b|a@b>" becomes "a@b" (Slack links
// the user@host part of a SIP URI).
func unwrapLinks(text string) string {
	return linkPattern.ReplaceAllStringFunc(text, func(m string) string {
		link := linkPattern.FindStringSubmatch(m)[1]
		if strings.HasPrefix(strings.ToLower(link), "mailto:") {
			return link[len("mailto:"):]
		}
		return link
	})
}

func isRole(w string) bool {
	_, err := phlo.ParseRole(w)
	return err == nil
}

func usageErrorf(format string, args ...any) *UsageError {
	return &UsageError{Message: fmt.Sprintf(format, args...)}
}

// quote shows user text back in inline code, cut short and without
// backticks so it cannot break out of the code span.
func quote(s string) string {
	const max = 60
	s = strings.ReplaceAll(s, "`", "'")
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return "`" + s + "`"
}
