package bot

import (
	"errors"
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
//	/mpc-add <target>… [agent|customer]
//	    target: an E.164 or local number (may be written with spaces),
//	            sip:user@host, @person, or @user-group
//	/mpc-add help
//	/mpc-add                 opens the modal
//	/mpc-add register <number or sip:…>   your own number, for trigger_source
//	/mpc-add whoami | unregister | history

// maxCommandText bounds the text we parse: twenty targets fit easily, and
// anything near it is pasted garbage.
const maxCommandText = 1000

// MaxPeople bounds the people one request dials, after user groups are
// expanded: a bridge holds at most ten, and a typo'd group must not ring
// a whole department.
const MaxPeople = 20

// CommandKind says what a /mpc-add invocation asks for.
type CommandKind int

// The kinds of Command.
const (
	CommandHelp CommandKind = iota + 1
	CommandAdd
	CommandModal
	CommandRegister
	CommandUnregister
	CommandWhoami
	CommandHistory
)

// account reports whether k is one of the commands about the caller's own
// number and history rather than an add.
func (k CommandKind) account() bool {
	return k == CommandRegister || k == CommandUnregister || k == CommandWhoami || k == CommandHistory
}

// keywords are the first words that are commands rather than targets.
var keywords = map[string]CommandKind{
	"help": CommandHelp, "register": CommandRegister, "unregister": CommandUnregister,
	"whoami": CommandWhoami, "history": CommandHistory,
}

// Target is one thing a command names to dial: exactly one field is set.
type Target struct {
	Addr    address.Address // a number or SIP address as typed
	UserID  string          // a mentioned Slack user
	GroupID string          // a mentioned user group
	Group   string          // the group's handle as Slack sent it, for messages
}

// Command is a parsed /mpc-add invocation.
type Command struct {
	Kind    CommandKind
	Targets []Target
	Role    phlo.Role
}

// UsageError is a mistake in what the user typed. Its message is written for
// them, in Slack mrkdwn, and quotes only what they typed.
type UsageError struct {
	Message string
}

func (e *UsageError) Error() string { return e.Message }

var (
	// mentionPattern matches an escaped user mention, as Slack sends it when
	// the command has should_escape: "<@U0123ABCD|alice>" or "<@U0123ABCD>".
	mentionPattern = regexp.MustCompile(`^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$`)
	// groupPattern matches an escaped user group: "<!subteam^S0123|@oncall>".
	groupPattern = regexp.MustCompile(`^<!subteam\^([A-Z0-9]+)(?:\|([^>]*))?>$`)
	// linkPattern matches Slack's escaped links: "<tel:…|…>", "<mailto:…|…>".
	linkPattern = regexp.MustCompile(`<((?i:tel|mailto):[^|>]*)(?:\|[^>]*)?>`)
)

const usageLine = "Usage: `/mpc-add +14155550100 [agent|customer]`, `/mpc-add @alice @bob`, `/mpc-add sip:alice@example.com`, `/mpc-add` for a form, or `/mpc-add help`."

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
		if unicode.IsControl(r) && !unicode.IsSpace(r) {
			return Command{}, usageErrorf("That text contains control characters (U+%04X), which never appear in a number. %s", r, usageLine)
		}
	}
	words := strings.Fields(unwrapLinks(text))
	if len(words) == 0 {
		return Command{Kind: CommandModal}, nil
	}
	if kind, ok := keywords[strings.ToLower(words[0])]; ok {
		return parseKeyword(kind, words, defaultRegion)
	}

	cmd := Command{Kind: CommandAdd, Role: phlo.RoleAgent}
	if role, err := phlo.ParseRole(words[len(words)-1]); err == nil {
		if len(words) == 1 {
			return Command{}, usageErrorf("Whom should I dial as %s? Put the number first: `/mpc-add +14155550100 %s`.", quote(words[0]), role)
		}
		cmd.Role = role
		words = words[:len(words)-1]
	}
	for len(words) > 0 {
		t, n, err := parseTarget(words, defaultRegion)
		if err == errWord {
			if len(words) == 1 && len(cmd.Targets) > 0 {
				return Command{}, usageErrorf("%s is not a role: use `agent` or `customer` (the default is agent).", quote(words[0]))
			}
			if len(cmd.Targets) > 0 || len(words) > 1 {
				return Command{}, usageErrorf("I did not expect %s: give numbers, SIP addresses or @mentions, then optionally a role (`agent` or `customer`). %s", quote(words[0]), usageLine)
			}
			_, err = address.Parse(words[0], defaultRegion)
			return Command{}, usageErrorf("%s is not a number or SIP address I can dial: %v. %s", quote(words[0]), err, usageLine)
		}
		if err != nil {
			return Command{}, err
		}
		cmd.Targets = append(cmd.Targets, t)
		words = words[n:]
	}
	if len(cmd.Targets) > MaxPeople {
		return Command{}, usageErrorf("That names %d people; one request dials at most %d.", len(cmd.Targets), MaxPeople)
	}
	return cmd, nil
}

// parseKeyword parses the commands that start with a keyword.
func parseKeyword(kind CommandKind, words []string, region string) (Command, error) {
	name, args := strings.ToLower(words[0]), words[1:]
	if kind != CommandRegister {
		if len(args) > 0 {
			if kind == CommandHelp {
				return Command{}, usageErrorf("I did not expect %s: `/mpc-add help` takes nothing after it. %s", quote(strings.Join(args, " ")), usageLine)
			}
			return Command{}, usageErrorf("`/mpc-add %s` takes nothing after it, but got %s.", name, quote(strings.Join(args, " ")))
		}
		return Command{Kind: kind}, nil
	}
	if len(args) == 0 {
		return Command{}, usageErrorf("Register which number? `/mpc-add register +14155550100` (or a SIP address) sets the number calls you start come from.")
	}
	dest := strings.Join(args, " ")
	a, err := address.Parse(dest, region)
	if err != nil {
		return Command{}, usageErrorf("%s is not a number or SIP address I can use: %v. Try `/mpc-add register +14155550100`.", quote(dest), err)
	}
	return Command{Kind: CommandRegister, Targets: []Target{{Addr: a}}}, nil
}

// parseTarget reads one target from the front of words and says how many
// words it took.
func parseTarget(words []string, region string) (Target, int, error) {
	w := words[0]
	switch {
	case mentionPattern.MatchString(w):
		return Target{UserID: mentionPattern.FindStringSubmatch(w)[1]}, 1, nil
	case groupPattern.MatchString(w):
		m := groupPattern.FindStringSubmatch(w)
		return Target{GroupID: m[1], Group: m[2]}, 1, nil
	case strings.HasPrefix(w, "@"):
		return Target{}, 0, usageErrorf("I cannot tell who %s is. Pick the person or group from Slack's autocomplete so the mention turns into a link, or give their number. %s", quote(w), usageLine)
	case isRole(w):
		return Target{}, 0, usageErrorf("The role (%s) goes last, once for everyone: `/mpc-add +14155550100 @alice %s`.", quote(w), strings.ToLower(w))
	}
	if !isNumberish(w) && !strings.HasPrefix(strings.ToLower(w), "sip") {
		return Target{}, 0, errWord
	}
	n := numberWords(words)
	dest := strings.Join(words[:n], " ")
	a, err := address.Parse(dest, region)
	if err != nil {
		return Target{}, 0, usageErrorf("%s is not a number or SIP address I can dial: %v. %s", quote(dest), err, usageLine)
	}
	return Target{Addr: a}, n, nil
}

// errWord is parseTarget's signal that the word is plain text, whose
// message depends on where it stands.
var errWord = errors.New("a word that is not a target")

// numberWords returns how many leading words make up one number: a pasted
// number may be several words ("+1 (415) 555-0100"), and a word starting
// with "+" begins the next one. A SIP URI or a word with letters is one word.
func numberWords(words []string) int {
	if !isNumberish(words[0]) {
		return 1
	}
	n := 1
	for n < len(words) && isNumberish(words[n]) && !strings.HasPrefix(words[n], "+") {
		n++
	}
	return n
}

// isNumberish reports whether w can be part of a pasted number: no letters.
// Stray symbols ("0100`;") still count, so address.Parse can name the
// character that is wrong.
func isNumberish(w string) bool {
	if strings.HasPrefix(strings.ToLower(w), "tel:") {
		return true
	}
	for _, r := range w {
		if unicode.IsLetter(r) {
			return false
		}
	}
	return !strings.HasPrefix(w, "<")
}

func isRole(w string) bool {
	_, err := phlo.ParseRole(w)
	return err == nil
}

// unwrapLinks replaces Slack's links with what they point at, so a linked
// number with spaces in its label stays one word: "<tel:+1415…|+1 415 …>"
// becomes "tel:+1415…", and "<mailto:a@b|a@b>" becomes "a@b" (Slack links
// the user@host part of a SIP URI). Mentions are left alone.
func unwrapLinks(text string) string {
	return linkPattern.ReplaceAllStringFunc(text, func(m string) string {
		link := linkPattern.FindStringSubmatch(m)[1]
		if strings.HasPrefix(strings.ToLower(link), "mailto:") {
			return link[len("mailto:"):]
		}
		return link
	})
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
