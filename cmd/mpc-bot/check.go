package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mpc-bot/mpc-bot/address"
	"github.com/mpc-bot/mpc-bot/bridges"
	"github.com/mpc-bot/mpc-bot/conference"
	"github.com/mpc-bot/mpc-bot/config"
	"github.com/mpc-bot/mpc-bot/directory"
	"github.com/mpc-bot/mpc-bot/phlo"
	"github.com/mpc-bot/mpc-bot/store"
)

// dbCheckTimeout bounds the database check.
const dbCheckTimeout = 10 * time.Second

// checkStatus is the outcome of one line of `mpc-bot check`.
type checkStatus int

const (
	checkPass checkStatus = iota
	checkFail
	checkSkip // could not run: a setting it needs is missing or broken
	checkInfo // not a check: what is in use, and why it matters
)

// checkLine is one line of the checklist. Its text names settings, hosts,
// files and what Plivo or Slack said, never a token, password or number.
type checkLine struct {
	status checkStatus
	name   string
	text   string
	fix    string // for a failure: what to change, and where
}

func (l checkLine) passed(text string) checkLine {
	l.status, l.text = checkPass, text
	return l
}

func (l checkLine) failed(text, fix string) checkLine {
	l.status, l.text, l.fix = checkFail, text, fix
	return l
}

func (l checkLine) skip(why string) checkLine {
	l.status, l.text = checkSkip, "skipped: "+why
	return l
}

func (l checkLine) note(text string) checkLine {
	l.status, l.text = checkInfo, text
	return l
}

// String is the line as printed: a mark, the check's name and what it
// found, and for a failure the fix, all on one line.
func (l checkLine) String() string {
	mark := map[checkStatus]string{checkPass: "✓", checkFail: "✗", checkSkip: "–", checkInfo: "·"}[l.status]
	s := fmt.Sprintf("%s %-16s %s", mark, l.name, oneLine(l.text))
	if l.fix != "" {
		s += ". Fix: " + oneLine(l.fix)
	}
	return s
}

// oneLine folds a multi-line message (a database driver's, say) into one
// line, so that the checklist stays one line per check.
func oneLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(lines, " ")
}

// runCheck is `mpc-bot check`: every check a deployer needs, against the
// real services the settings name, as a checklist on out. It fails when
// any check fails, so a deploy script can stop on it.
func runCheck(ctx context.Context, out io.Writer) error {
	s, err := config.Load()
	if failed := runChecks(ctx, s, err, out); failed > 0 {
		return fmt.Errorf("check: %d %s failed (see above)", failed, plural(failed, "check", "checks"))
	}
	return nil
}

// runChecks prints the checklist for s, which loadErr says is broken or
// not; what can run without a broken setting still runs. The checks run
// at once and are printed in a fixed order as they finish. It returns the
// number of failures.
func runChecks(ctx context.Context, s config.Settings, loadErr error, out io.Writer) int {
	hc := &http.Client{Timeout: slackCheckTimeout}
	defer hc.CloseIdleConnections()
	dirLine, bridgesLine, list := checkFiles(s)

	groups := []func() []checkLine{
		func() []checkLine { return []checkLine{checkSettings(loadErr)} },
		func() []checkLine { return checkSlack(ctx, hc, s.SlackBotToken, s.SlackAppToken, s.SlackAPIURL) },
		func() []checkLine { return []checkLine{dirLine, bridgesLine} },
		func() []checkLine { return checkBridges(ctx, s, list) },
		func() []checkLine { return []checkLine{checkDatabase(ctx, s)} },
		func() []checkLine { return checkInUse(s) },
	}
	done := make([]chan []checkLine, len(groups))
	for i, g := range groups {
		done[i] = make(chan []checkLine, 1)
		go func() { done[i] <- g() }()
	}
	var passed, failed, skipped int
	for _, ch := range done {
		for _, l := range <-ch {
			fmt.Fprintln(out, l)
			switch l.status {
			case checkPass:
				passed++
			case checkFail:
				failed++
			case checkSkip:
				skipped++
			}
		}
	}
	summary := fmt.Sprintf("%d passed, %d failed", passed, failed)
	if skipped > 0 {
		summary += fmt.Sprintf(", %d skipped", skipped)
	}
	if failed == 0 {
		summary += ": ready to run"
	}
	fmt.Fprintln(out, summary+".")
	return failed
}

// checkSettings reports config.Load's verdict, which names every missing
// or malformed setting and never a value.
func checkSettings(loadErr error) checkLine {
	l := checkLine{name: "settings"}
	if loadErr == nil {
		return l.passed("every setting is present and well-formed")
	}
	msg := strings.TrimSuffix(loadErr.Error(), ` (see README.md, "Settings")`)
	return l.failed(msg, `set or correct the settings named, as README.md, "Settings" describes`)
}

// checkFiles checks the directory and bridges files, and returns the
// bridges to check with PHLO: the default one and the file's.
func checkFiles(s config.Settings) (dirLine, bridgesLine checkLine, list []conference.Bridge) {
	dirLine = checkLine{name: "directory file"}
	switch {
	case s.Directory == "":
		dirLine = dirLine.note("MPC_DIRECTORY is not set: numbers come from Slack profiles and what people register")
	case !address.ValidRegion(s.DefaultRegion):
		dirLine = dirLine.skip("needs a valid MPC_DEFAULT_REGION to read numbers written without +")
	default:
		if d, err := directory.Load(s.Directory, s.DefaultRegion); err != nil {
			dirLine = dirLine.failed(err.Error(), `correct the file MPC_DIRECTORY names (README.md, "The directory file")`)
		} else {
			dirLine = dirLine.passed(fmt.Sprintf("%s: %d %s", s.Directory, d.Len(), plural(d.Len(), "person", "people")))
		}
	}

	def := conference.Bridge{Name: conference.DefaultBridge, PhloID: s.PhloID, NodeID: s.PhloNodeID, Description: "PHLO_ID and PHLO_NODE_ID"}
	list = []conference.Bridge{def}
	bridgesLine = checkLine{name: "bridges file"}
	if s.Bridges == "" {
		bridgesLine = bridgesLine.note("MPC_BRIDGES is not set: one bridge, the default (PHLO_ID and PHLO_NODE_ID)")
		return dirLine, bridgesLine, list
	}
	// The file is checked even when PHLO_ID is missing: a stand-in
	// default lets the rest of it parse.
	parseDef := def
	if strings.TrimSpace(parseDef.PhloID) == "" || strings.TrimSpace(parseDef.NodeID) == "" {
		parseDef.PhloID, parseDef.NodeID = "unset", "unset"
	}
	b, err := bridges.Load(s.Bridges, parseDef)
	if err != nil {
		bridgesLine = bridgesLine.failed(err.Error(), "correct the file MPC_BRIDGES names (its format is in README.md, section \"More than one bridge\")")
		return dirLine, bridgesLine, list
	}
	n := len(b.Names()) - 1
	bridgesLine = bridgesLine.passed(fmt.Sprintf("%s: %d %s besides the default", s.Bridges, n, plural(n, "bridge", "bridges")))
	for _, br := range b.All() {
		if br.Name != conference.DefaultBridge {
			list = append(list, br)
		}
	}
	return dirLine, bridgesLine, list
}

// checkBridges checks each bridge's PHLO and node as the bot does at
// start. A failure of the account (credentials, network) is told in full
// once, then referred to.
func checkBridges(ctx context.Context, s config.Settings, list []conference.Bridge) []checkLine {
	lines := make([]checkLine, len(list))
	for i, br := range list {
		lines[i] = checkLine{name: "bridge " + br.Name}
	}
	var missing []string
	for _, r := range []struct{ name, v string }{{"PLIVO_AUTH_ID", s.PlivoAuthID}, {"PLIVO_AUTH_TOKEN", s.PlivoAuthToken}} {
		if strings.TrimSpace(r.v) == "" {
			missing = append(missing, r.name)
		}
	}
	if len(missing) > 0 {
		for i := range lines {
			lines[i] = lines[i].skip("needs " + strings.Join(missing, " and "))
		}
		return lines
	}
	pc, err := newCheckClient(s)
	if err != nil {
		for i := range lines {
			lines[i] = lines[i].skip(err.Error())
		}
		return lines
	}
	defer pc.CloseIdleConnections()

	var todo []conference.Bridge
	var at []int
	for i, br := range list {
		var unset []string
		for _, r := range []struct{ name, v string }{{"PHLO_ID", br.PhloID}, {"PHLO_NODE_ID", br.NodeID}} {
			if strings.TrimSpace(r.v) == "" {
				unset = append(unset, r.name)
			}
		}
		if br.Name == conference.DefaultBridge && len(unset) > 0 {
			lines[i] = lines[i].skip(strings.Join(unset, " and ") + " not set")
			continue
		}
		todo, at = append(todo, br), append(at, i)
	}
	told := map[string]string{} // an account-wide problem → the bridge it was told for
	for j, r := range checkNodes(ctx, pc, todo) {
		i := at[j]
		if r.err == nil {
			lines[i] = lines[i].passed(fmt.Sprintf("PHLO %q, node %q is a Multi-Party Call", r.info.PhloName, r.info.NodeName))
			continue
		}
		p := explainNodeCheck(ctx, r.bridge, r.err)
		if first, ok := told[p.problem]; ok && p.account {
			lines[i] = lines[i].failed(fmt.Sprintf("as bridge %s: %s", first, p.problem), "as above")
			continue
		}
		told[p.problem] = r.bridge.Name
		lines[i] = lines[i].failed(p.problem, p.fix)
	}
	return lines
}

// newCheckClient builds the PHLO client the bot would build. A malformed
// rate limit or number format, already reported with the settings, falls
// back to the default: neither matters to a GET.
func newCheckClient(s config.Settings) (*phlo.Client, error) {
	budget := s.RateLimit()
	pacer, err := phlo.NewPacer(budget)
	if err != nil {
		pacer, _ = phlo.NewPacer(phlo.DefaultBudget()) // valid by construction
	}
	format := phlo.NumberFormat(strings.ToLower(strings.TrimSpace(s.PhloNumberFormat)))
	if !format.Valid() {
		format = phlo.NumberE164
	}
	pc, err := phlo.New(phlo.Config{
		BaseURL: s.PhloBaseURL, AuthID: s.PlivoAuthID, AuthToken: s.PlivoAuthToken,
		Pacer: pacer, NumberFormat: format,
	})
	if err != nil {
		// phlo.New names fields, never credentials.
		return nil, fmt.Errorf("PHLO_BASE_URL is not usable (%s)", strings.TrimPrefix(err.Error(), "phlo: invalid config: "))
	}
	return pc, nil
}

// checkDatabase says whether the database answers and how far it is
// migrated, without migrating it: the bot does that at start.
func checkDatabase(ctx context.Context, s config.Settings) checkLine {
	l := checkLine{name: "database"}
	cfg := store.Config{Path: s.DBPath, URL: s.DatabaseURL}
	what := "PostgreSQL (MPC_DATABASE_URL)"
	fix := "check MPC_DATABASE_URL's host, port, user, password and database name, and that the server accepts connections from here"
	if cfg.URL == "" {
		if cfg.Path == "" {
			return l.skip("MPC_DB_PATH is empty and MPC_DATABASE_URL not set")
		}
		what = fmt.Sprintf("SQLite file %s (MPC_DB_PATH)", cfg.Path)
		fix = "set MPC_DB_PATH to a SQLite database file the bot can read and write, or to a new file in a writable directory"
	}
	ctx, cancel := context.WithTimeout(ctx, dbCheckTimeout)
	defer cancel()
	sc, err := store.Inspect(ctx, cfg)
	switch {
	case err != nil:
		// The URL may hold a password: never the value, only its name.
		return l.failed(fmt.Sprintf("%s: %s", what, redactURL(err.Error(), s.DatabaseURL)), fix)
	case sc.Missing:
		dir := filepath.Dir(cfg.Path)
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return l.failed(fmt.Sprintf("%s does not exist, and its directory %s is missing", what, dir), fix)
		}
		return l.passed(fmt.Sprintf("%s does not exist yet: the bot creates it at start and migrates it to schema version %d", what, sc.Latest))
	case sc.Version == 0:
		return l.passed(fmt.Sprintf("%s answers; not migrated yet (schema version 0), which is fine: the bot migrates it to version %d at start", what, sc.Latest))
	case sc.Version < sc.Latest:
		return l.passed(fmt.Sprintf("%s answers; schema version %d, which the bot migrates to %d at start", what, sc.Version, sc.Latest))
	case sc.Version > sc.Latest:
		return l.passed(fmt.Sprintf("%s answers; schema version %d, newer than this release's %d: a newer release has run on it (check that this is the release you mean to deploy)", what, sc.Version, sc.Latest))
	}
	return l.passed(fmt.Sprintf("%s answers; schema version %d, up to date", what, sc.Version))
}

// checkInUse shows the PHLO settings that are judgement calls rather than
// facts a check could establish.
func checkInUse(s config.Settings) []checkLine {
	format := checkLine{name: "number format"}
	why := "It is a setting because Plivo's own material disagrees on whether numbers carry the + (PHLO examples write +14157654321; the Voice API docs and SDK examples, 14157654321)"
	switch f := strings.ToLower(strings.TrimSpace(s.PhloNumberFormat)); f {
	case string(phlo.NumberE164):
		format = format.note("PHLO_NUMBER_FORMAT=e164: numbers go to PHLO as +14155550100. " + why + ": if Plivo refuses numbers, or cannot find members to hold or hang up, try digits")
	case string(phlo.NumberDigits):
		format = format.note("PHLO_NUMBER_FORMAT=digits: numbers go to PHLO as 14155550100. " + why + ": if Plivo refuses numbers, or cannot find members to hold or hang up, try e164")
	default:
		format = format.note("PHLO_NUMBER_FORMAT is neither e164 nor digits (see settings). " + why)
	}
	rate := checkLine{name: "PHLO rate limit"}
	if b := s.RateLimit(); b.Requests > 0 {
		rate = rate.note(fmt.Sprintf("PHLO_RATE_LIMIT=%s: each bot process sends at most %d PHLO requests per %s. Plivo allows 300 API requests per 5 s per account, across everything that uses it: lower this when other software, or other replicas, share the account", b, b.Requests, b.Per))
	} else {
		rate = rate.note("PHLO_RATE_LIMIT is malformed (see settings); the default is 300/5s, Plivo's limit of 300 API requests per 5 s per account")
	}
	return []checkLine{format, rate}
}
