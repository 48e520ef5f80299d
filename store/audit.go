package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mpc-bot/mpc-bot/conference"
)

// The audit trail lives in table adds, its name from when adds were all it
// recorded (see migration 4 for why it kept it). Columns and Entry fields:
// request_id ID, team_id/channel_id/thread_ts Place, user_id/user_team/
// enterprise_id By, to_address To, trigger_source TriggerSource,
// error_message Detail; the rest are named after their fields.

// legacyAccepted is what the previous release wrote for an accepted request;
// a replica of it may still be writing during a rolling update.
const legacyAccepted = "dialled"

// Begin records e before the PHLO is called: as pending, unless e.Status is
// already final (a denial, which never reaches Plivo, or the record of no
// PHLO request such as a bridge binding): then it is final at once, with
// Finished = Created. A pending entry has no outcome yet, so its APIID,
// Cause, Rule and Detail are not stored. Created defaults to now and Request
// to the part of ID before its first '/'. An ID recorded before gives an
// error matching conference.ErrDuplicate, so a retried request cannot
// overwrite the first one's outcome.
func (s *Store) Begin(ctx context.Context, e conference.Entry) error {
	if e.ID == "" {
		return errors.New("store: begin: empty entry ID")
	}
	switch e.Status {
	case "":
		e.Status = conference.StatusPending
	case conference.StatusPending, conference.StatusDenied, conference.StatusAccepted, conference.StatusFailed, conference.StatusUnknown:
	default:
		return fmt.Errorf("store: begin %s: unknown status %q", e.ID, e.Status)
	}
	if e.Created.IsZero() {
		e.Created = s.now()
	}
	if e.Request == "" {
		e.Request, _, _ = strings.Cut(e.ID, "/")
	}
	created := toMillis(e.Created)
	var finished sql.NullInt64
	if e.Status.Final() {
		// A denial, or the record of no PHLO request (a bridge binding):
		// final as soon as it is written.
		finished = sql.NullInt64{Int64: created, Valid: true}
	} else {
		e.APIID, e.Cause, e.Rule, e.Detail = "", "", "", ""
	}
	userTeam := e.By.Team
	if userTeam == e.Place.Team {
		userTeam = "" // the common case; see migration 4
	}
	// ON CONFLICT DO NOTHING rather than catching a unique violation: the
	// two drivers report those differently, and RowsAffected does not.
	res, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO adds (request_id, request, verb,
		team_id, channel_id, thread_ts, user_id, user_team, enterprise_id, bridge,
		to_address, to_user, role, trigger_source, status, api_id, cause, rule, error_message,
		created_at, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (request_id) DO NOTHING`),
		e.ID, e.Request, string(e.Verb),
		e.Place.Team, e.Place.Channel, e.Place.Thread, e.By.User, userTeam, e.By.Enterprise, e.Bridge,
		e.To, e.ToUser, string(e.Role), e.TriggerSource, string(e.Status), e.APIID, string(e.Cause), string(e.Rule), e.Detail,
		created, finished)
	if err != nil {
		return fmt.Errorf("store: begin %s: %w", e.ID, err)
	}
	n, err := affected(res)
	if err != nil {
		return fmt.Errorf("store: begin %s: %w", e.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("store: begin %s: %w", e.ID, conference.ErrDuplicate)
	}
	return nil
}

// Finish records the outcome of a pending entry, with o.Summary() as its
// Detail. Only a pending entry moves: finishing one twice gives ErrNotPending
// (the first outcome stands), and an unknown ID conference.ErrNotFound.
func (s *Store) Finish(ctx context.Context, id string, o conference.Outcome) error {
	if !finalStatus(o.Status) {
		return fmt.Errorf("store: finish %s: %q is not a final status", id, o.Status)
	}
	res, err := s.db.ExecContext(ctx, s.rebind(`UPDATE adds
		SET status = ?, api_id = ?, cause = ?, error_message = ?, finished_at = ?
		WHERE request_id = ? AND status = 'pending'`),
		string(o.Status), o.APIID, string(o.Cause), o.Summary(), toMillis(s.now()), id)
	if err != nil {
		return fmt.Errorf("store: finish %s: %w", id, err)
	}
	n, err := affected(res)
	if err != nil {
		return fmt.Errorf("store: finish %s: %w", id, err)
	}
	if n > 0 {
		return nil
	}
	// Nothing moved: tell a second finish from an entry that never began.
	var one int
	err = s.db.QueryRowContext(ctx, s.rebind("SELECT 1 FROM adds WHERE request_id = ?"), id).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("store: finish %s: %w", id, conference.ErrNotFound)
	case err != nil:
		return fmt.Errorf("store: finish %s: %w", id, err)
	}
	return fmt.Errorf("store: finish %s: %w", id, ErrNotPending)
}

// finalStatus reports whether st is a known status other than pending.
func finalStatus(st conference.Status) bool {
	switch st {
	case conference.StatusAccepted, conference.StatusFailed, conference.StatusUnknown, conference.StatusDenied:
		return true
	}
	return false
}

// entryColumns are the columns scanEntries reads, in its order.
const entryColumns = `request_id, request, verb, team_id, channel_id, thread_ts, user_id, user_team,
	enterprise_id, bridge, to_address, to_user, role, trigger_source, status, api_id, cause, rule,
	error_message, created_at, finished_at`

// entryScope is Person.Scope of an entry's requester, in SQL.
const entryScope = `CASE WHEN enterprise_id <> '' AND substr(user_id, 1, 1) = 'W' THEN enterprise_id
	WHEN user_team <> '' THEN user_team ELSE team_id END`

// Entries returns the entries q selects, newest first: a place's history, a
// person's, or one request's. q.Team is required (an entry is only ever
// shown in its own workspace) and q.Limit must be positive.
func (s *Store) Entries(ctx context.Context, q conference.EntryQuery) ([]conference.Entry, error) {
	if q.Team == "" {
		return nil, errors.New("store: entries: no team given")
	}
	if q.Limit <= 0 {
		return nil, fmt.Errorf("store: entries: limit %d is not positive", q.Limit)
	}
	query := `SELECT ` + entryColumns + ` FROM adds WHERE team_id = ?`
	args := []any{q.Team}
	filter := func(cond string, arg any) {
		query += " AND " + cond
		args = append(args, arg)
	}
	if q.Channel != "" {
		filter("channel_id = ?", q.Channel)
	}
	if q.Thread != "" {
		filter("thread_ts = ?", q.Thread)
	}
	if q.User != "" {
		filter("user_id = ?", q.User)
	}
	if q.Scope != "" {
		filter("("+entryScope+") = ?", q.Scope)
	}
	if q.Request != "" {
		filter("request = ?", q.Request)
	}
	if !q.Since.IsZero() {
		filter("created_at >= ?", toMillis(q.Since))
	}
	query += " ORDER BY created_at DESC, id DESC LIMIT ?"
	args = append(args, q.Limit)
	entries, err := s.queryEntries(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: entries: %w", err)
	}
	return entries, nil
}

// FindEntry returns the entry recorded under id, for buttons, which carry
// only the ID so that no number travels through Slack.
func (s *Store) FindEntry(ctx context.Context, id string) (conference.Entry, error) {
	entries, err := s.queryEntries(ctx, `SELECT `+entryColumns+` FROM adds WHERE request_id = ?`, id)
	switch {
	case err != nil:
		return conference.Entry{}, fmt.Errorf("store: find entry %s: %w", id, err)
	case len(entries) == 0:
		return conference.Entry{}, fmt.Errorf("store: find entry %s: %w", id, conference.ErrNotFound)
	}
	return entries[0], nil
}

func (s *Store) queryEntries(ctx context.Context, query string, args ...any) ([]conference.Entry, error) {
	rows, err := s.db.QueryContext(ctx, s.rebind(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var entries []conference.Entry
	for rows.Next() {
		var (
			e                               conference.Entry
			verb, role, status, cause, rule string
			userTeam                        string
			created                         int64
			finished                        sql.NullInt64
		)
		if err := rows.Scan(&e.ID, &e.Request, &verb, &e.Place.Team, &e.Place.Channel, &e.Place.Thread,
			&e.By.User, &userTeam, &e.By.Enterprise, &e.Bridge, &e.To, &e.ToUser, &role, &e.TriggerSource,
			&status, &e.APIID, &cause, &rule, &e.Detail, &created, &finished); err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		e.Verb, e.Role, e.Cause, e.Rule = conference.Verb(verb), conference.Role(role), conference.Cause(cause), conference.Rule(rule)
		e.Status = conference.Status(status)
		if status == legacyAccepted {
			e.Status = conference.StatusAccepted
		}
		e.By.Team = e.Place.Team
		if userTeam != "" {
			e.By.Team = userTeam
		}
		if e.Request == "" { // written by the previous release
			e.Request, _, _ = strings.Cut(e.ID, "/")
		}
		e.Created = fromMillis(created)
		if finished.Valid {
			e.Finished = fromMillis(finished.Int64)
		}
		entries = append(entries, e)
	}
	return entries, rows.Err()
}

// AbandonPending marks as unknown (conference.CauseStopped) every pending
// entry created before olderThan whose request is not owned by a live
// instance: its process died between asking Plivo and hearing back, nobody
// will ever finish it, and "pending" forever would be a lie. An owner counts
// as live when it has heartbeated since olderThan, which is therefore also
// the staleness cut-off: call it with one comfortably older than both the
// PHLO request timeout and the heartbeat interval. A request that is done,
// or that no longer exists (entries from before the Intake existed, or
// pruned), has no live owner. It returns how many entries it moved.
func (s *Store) AbandonPending(ctx context.Context, olderThan time.Time) (int, error) {
	cut := toMillis(olderThan)
	res, err := s.db.ExecContext(ctx, s.rebind(`UPDATE adds
		SET status = 'unknown', cause = ?, error_message = ?, finished_at = ?
		WHERE status = 'pending' AND created_at < ?
		AND NOT EXISTS (SELECT 1 FROM requests r JOIN instances i ON i.id = r.owner
			WHERE r.id = adds.request AND r.state <> 'done' AND i.heartbeat_at >= ?)`),
		string(conference.CauseStopped), conference.CauseStopped.Summary(), toMillis(s.now()), cut, cut)
	if err != nil {
		return 0, fmt.Errorf("store: abandon pending: %w", err)
	}
	n, err := affected(res)
	if err != nil {
		return 0, fmt.Errorf("store: abandon pending: %w", err)
	}
	return n, nil
}
