package bot

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mpc-bot/mpc-bot/address"
	"github.com/mpc-bot/mpc-bot/conference"
)

// The command grammar is a public contract (README, "Commands"); new words
// may be added, but no command that works may change meaning:
//
//	/mpc-add <target>… [agent|customer] [on <bridge>]
//	    target: an E.164 or local number (may be written with spaces),
//	            sip:user@host, @person, or @user-group
//	/mpc-add                               opens the form
//	/mpc-add hold|unhold|hangup <target>…  acts on people added here
//	/mpc-add transfer <target> [warm|cold] [agent|customer] [on <bridge>]
//	/mpc-add abort-transfer [on <bridge>]
//	/mpc-add roster | history | whoami | unregister | help
//	/mpc-add register <number or sip:…>    your own number (trigger_source)
//	/mpc-add bridge [<name>|none]          show or set this channel's bridge

// maxCommandText bounds the text we parse: twenty targets fit easily, and
// anything near it is pasted garbage.
const maxCommandText = 1000

// CommandKind says what a command asks for.
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
	CommandMember // hold, unhold, hangup
	CommandTransfer
	CommandAbortTransfer
	CommandRoster
	CommandBridge
)

// queued reports whether k becomes a request that may send PHLO requests,
// rather than an answer.
func (k CommandKind) queued() bool {
	return k == CommandAdd || k == CommandMember || k == CommandTransfer || k == CommandAbortTransfer
}

// keywords are the first words that are commands rather than targets.
var keywords = map[string]CommandKind{
	"help": CommandHelp, "register": CommandRegister, "unregister": CommandUnregister,
	"whoami": CommandWhoami, "history": CommandHistory, "roster": CommandRoster, "bridge": CommandBridge,
	"hold": CommandMember, "unhold": CommandMember, "hangup": CommandMember,
	"transfer": CommandTransfer, "abort-transfer": CommandAbortTransfer,
}

var memberVerbs = map[string]conference.Verb{"hold": conference.VerbHold, "unhold": conference.VerbUnhold, "hangup": conference.VerbHangup}

// Command is a parsed command.
type Command struct {
	Kind    CommandKind
	Targets []conference.Target
	Role    conference.Role
	// Verb is the member action or the kind of transfer.
	Verb conference.Verb
	// Bridge is the bridge named with "on <bridge>", or the argument of
	// "bridge".
	Bridge string
}

// UsageError is a mistake in what the person typed. Its message is written
// for them, in Slack mrkdwn, and quotes only what they typed.
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

// slashCommand is the app's slash command, as manifest.yaml declares it.
const slashCommand = "/mpc-add"

const usageLine = "Usage: `/mpc-add +14155550100 [agent|customer]`, `/mpc-add @alice @bob`, `/mpc-add sip:alice@example.com`, `/mpc-add` for a form, or `/mpc-add help`."

// ParseCommand parses the text after /mpc-add (or after the bot's mention).
// defaultRegion applies to numbers written without a country code.
func ParseCommand(text, defaultRegion string) (Command, error) {
	if utf8.RuneCountInString(text) > maxCommandText {
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
	first := strings.ToLower(words[0])
	kind, isKeyword := keywords[first]
	if !isKeyword {
		kind = CommandAdd
	}
	if kind == CommandAdd || kind == CommandTransfer || kind == CommandAbortTransfer {
		var bridge string
		var err error
		if words, bridge, err = cutBridge(words); err != nil {
			return Command{}, err
		}
		cmd, err := parseVerb(kind, first, words, defaultRegion)
		cmd.Bridge = bridge
		return cmd, err
	}
	return parseVerb(kind, first, words, defaultRegion)
}

// parseVerb parses a command whose kind is known.
func parseVerb(kind CommandKind, first string, words []string, region string) (Command, error) {
	switch kind {
	case CommandAdd:
		return parseAdd(words, region)
	case CommandMember:
		if len(words) == 1 {
			return Command{}, usageErrorf("%s whom? Name them as they were added: `/mpc-add %s @bob` or `/mpc-add %s +14155550100`.", capitalise(first), first, first)
		}
		targets, err := parseTargets(words[1:], region)
		if err != nil {
			return Command{}, err
		}
		for _, t := range targets {
			if t.Group != "" {
				return Command{}, usageErrorf("`/mpc-add %s` acts on people, not groups: name each person.", first)
			}
		}
		return Command{Kind: kind, Verb: memberVerbs[first], Targets: targets}, nil
	case CommandTransfer:
		return parseTransfer(words[1:], region)
	case CommandAbortTransfer:
		if len(words) > 1 {
			return Command{}, usageErrorf("`/mpc-add abort-transfer` aborts the transfer you started and takes nothing after it (except `on <bridge>`), but got %s.", quote(strings.Join(words[1:], " ")))
		}
		return Command{Kind: kind, Verb: conference.VerbAbortTransfer}, nil
	case CommandRegister:
		return parseRegister(words[1:], region)
	case CommandBridge:
		switch len(words) {
		case 1:
			return Command{Kind: kind}, nil
		case 2:
			name := strings.ToLower(words[1])
			if name != conference.NoBridge && !conference.ValidBridgeName(name) {
				return Command{}, usageErrorf("%s is not a bridge name. `/mpc-add bridge` shows this channel's bridge and the others.", quote(words[1]))
			}
			return Command{Kind: kind, Bridge: name}, nil
		}
		return Command{}, usageErrorf("`/mpc-add bridge` takes one bridge name (or `none`), but got %s.", quote(strings.Join(words[1:], " ")))
	}
	if len(words) > 1 {
		if kind == CommandHelp {
			return Command{}, usageErrorf("I did not expect %s: `/mpc-add help` takes nothing after it. %s", quote(strings.Join(words[1:], " ")), usageLine)
		}
		return Command{}, usageErrorf("`/mpc-add %s` takes nothing after it, but got %s.", first, quote(strings.Join(words[1:], " ")))
	}
	return Command{Kind: kind}, nil
}

// parseAdd parses "<target>… [role]".
func parseAdd(words []string, region string) (Command, error) {
	cmd := Command{Kind: CommandAdd, Role: conference.RoleAgent}
	if role, err := conference.ParseRole(words[len(words)-1]); err == nil {
		if len(words) == 1 {
			return Command{}, usageErrorf("Whom should I dial as %s? Put the number first: `/mpc-add +14155550100 %s`.", quote(words[0]), role)
		}
		if isRole(words[len(words)-2]) {
			return Command{}, usageErrorf("Give one role, `agent` or `customer`, not %s.", quote(strings.Join(words[len(words)-2:], " ")))
		}
		cmd.Role = role
		words = words[:len(words)-1]
	}
	targets, err := parseTargets(words, region)
	if err != nil {
		return Command{}, err
	}
	cmd.Targets = targets
	return cmd, nil
}

// parseTransfer parses "<target> [warm|cold] [role]", in any order after
// the target.
func parseTransfer(words []string, region string) (Command, error) {
	cmd := Command{Kind: CommandTransfer, Verb: conference.VerbWarmTransfer, Role: conference.RoleAgent}
	var rest []string
	for _, w := range words {
		switch lw := strings.ToLower(w); {
		case lw == "warm":
			cmd.Verb = conference.VerbWarmTransfer
		case lw == "cold":
			cmd.Verb = conference.VerbColdTransfer
		case isRole(lw):
			cmd.Role, _ = conference.ParseRole(lw)
		default:
			rest = append(rest, w)
		}
	}
	if len(rest) == 0 {
		return Command{}, usageErrorf("Transfer to whom? `/mpc-add transfer @dana` (warm: you talk to them first) or `/mpc-add transfer +14155550100 cold`.")
	}
	targets, err := parseTargets(rest, region)
	if err != nil {
		return Command{}, err
	}
	if len(targets) != 1 || targets[0].Group != "" {
		return Command{}, usageErrorf("A transfer goes to one person or number, not %s.", quote(strings.Join(rest, " ")))
	}
	cmd.Targets = targets
	return cmd, nil
}

// parseRegister parses "register <number or sip:…>".
func parseRegister(args []string, region string) (Command, error) {
	if len(args) == 0 {
		return Command{}, usageErrorf("Register which number? `/mpc-add register +14155550100` (or a SIP address) sets the number calls you start come from.")
	}
	dest := strings.Join(args, " ")
	a, err := address.Parse(dest, region)
	if err != nil {
		return Command{}, usageErrorf("%s is not a number or SIP address I can use: %v. Try `/mpc-add register +14155550100`.", quote(dest), err)
	}
	return Command{Kind: CommandRegister, Targets: []conference.Target{conference.NumberTarget(a)}}, nil
}

// cutBridge removes "on <bridge>" from words. "on" is no number, role,
// mention or keyword, so it means the same wherever it stands.
func cutBridge(words []string) ([]string, string, error) {
	at := -1
	for i, w := range words {
		if strings.EqualFold(w, "on") {
			if at >= 0 {
				return nil, "", usageErrorf("Name one bridge: `on` appears twice.")
			}
			at = i
		}
	}
	if at < 0 {
		return words, "", nil
	}
	if at == len(words)-1 {
		return nil, "", usageErrorf("On which bridge? Put its name after `on`: `/mpc-add +14155550100 on dbs`. `/mpc-add bridge` lists them.")
	}
	name := strings.ToLower(words[at+1])
	if !conference.ValidBridgeName(name) {
		return nil, "", usageErrorf("%s is not a bridge name. `/mpc-add bridge` lists them.", quote(words[at+1]))
	}
	rest := append(append([]string(nil), words[:at]...), words[at+2:]...)
	return rest, name, nil
}

// parseTargets reads targets until the words run out.
func parseTargets(words []string, region string) ([]conference.Target, error) {
	var targets []conference.Target
	for len(words) > 0 {
		t, n, err := parseTarget(words, region)
		if err == errWord {
			if len(words) == 1 && len(targets) > 0 {
				return nil, usageErrorf("%s is not a role: use `agent` or `customer` (the default is agent).", quote(words[0]))
			}
			if len(targets) > 0 || len(words) > 1 {
				return nil, usageErrorf("I did not expect %s: give numbers, SIP addresses or @mentions, then optionally a role (`agent` or `customer`). %s", quote(words[0]), usageLine)
			}
			_, err = address.Parse(words[0], region)
			return nil, usageErrorf("%s is not a number or SIP address I can dial: %v. %s", quote(words[0]), err, usageLine)
		}
		if err != nil {
			return nil, err
		}
		targets = append(targets, t)
		words = words[n:]
	}
	if len(targets) > conference.MaxPeople {
		return nil, usageErrorf("That names %d people; one request dials at most %d.", len(targets), conference.MaxPeople)
	}
	return targets, nil
}

// parseTarget reads one target from the front of words and says how many
// words it took.
func parseTarget(words []string, region string) (conference.Target, int, error) {
	w := words[0]
	switch {
	case mentionPattern.MatchString(w):
		return conference.UserTarget(mentionPattern.FindStringSubmatch(w)[1]), 1, nil
	case groupPattern.MatchString(w):
		m := groupPattern.FindStringSubmatch(w)
		return conference.Target{Group: m[1], GroupName: m[2]}, 1, nil
	case strings.HasPrefix(w, "@"):
		return conference.Target{}, 0, usageErrorf("I cannot tell who %s is. Pick the person or group from Slack's autocomplete so the mention turns into a link, or give their number. %s", quote(w), usageLine)
	case isRole(w):
		return conference.Target{}, 0, usageErrorf("The role (%s) goes last, once for everyone: `/mpc-add +14155550100 @alice %s`.", quote(w), strings.ToLower(w))
	}
	if !isNumberish(w) && !strings.HasPrefix(strings.ToLower(w), "sip") {
		return conference.Target{}, 0, errWord
	}
	n := numberWords(words)
	dest := strings.Join(words[:n], " ")
	a, err := address.Parse(dest, region)
	if err != nil {
		hint := usageLine
		var pe *address.ParseError
		if errors.As(err, &pe) && pe.TooLong && n > 1 {
			hint = "To give several numbers, start each with `+` and its country code: `/mpc-add +1 415 555 0100 +1 415 555 0101`."
		}
		return conference.Target{}, 0, usageErrorf("%s is not a number or SIP address I can dial: %v. %s", quote(dest), err, hint)
	}
	return conference.NumberTarget(a), n, nil
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
	for n < len(words) && isNumberish(words[n]) && !strings.HasPrefix(words[n], "+") && !isExtension(words, n) {
		n++
	}
	if n < len(words) && isExtension(words, n) {
		n += extensionWords(words[n:])
	}
	return n
}

// isExtension reports whether words[n] starts an extension ("x123",
// "ext. 12", "extension 12", "#12") of the number before it.
func isExtension(words []string, n int) bool {
	return extensionWords(words[n:]) > 0
}

// extensionWords returns how many words an extension at the front of
// words takes: "x123" and "#12" one, "ext. 12" and "extension 12" two.
func extensionWords(words []string) int {
	w := strings.ToLower(words[0])
	switch {
	case len(w) > 1 && (w[0] == 'x' || w[0] == '#') && allDigits(w[1:]):
		return 1
	case (w == "x" || w == "ext" || w == "ext." || w == "extension" || w == "#") && len(words) > 1 && allDigits(words[1]):
		return 2
	case (strings.HasPrefix(w, "ext.") && allDigits(w[4:]) && len(w) > 4) || (strings.HasPrefix(w, "ext") && allDigits(w[3:]) && len(w) > 3):
		return 1
	}
	return 0
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
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
	_, err := conference.ParseRole(w)
	return err == nil
}

// unwrapLinks replaces Slack's links with what they point at, so a linked
// number with spaces in its label stays one word: "<tel:+1415…|+1 415 …>"
// becomes "tel:+1415…", and "<mailto:a@b|a@b>" becomes "a@b" (Slack links
// the user@host part of a SIP URI). Mentions are left alone.
func unwrapLinks(text string) string {
	if !strings.Contains(text, "<") || !strings.Contains(text, ":") {
		return text // no link: spare the regexp, which every command meets
	}
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

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
