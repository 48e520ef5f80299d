package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// AddStatus is where an add request stands. Every request is recorded as
// pending before Plivo is asked, so that a bot killed mid-request still
// leaves a trace, and moves to exactly one final status afterwards.
type AddStatus string

// The add statuses.
const (
	// StatusPending: recorded, Plivo's answer not yet known.
	StatusPending AddStatus = "pending"
	// StatusDialled: Plivo accepted the request (APIID is its api_id).
	StatusDialled AddStatus = "dialled"
	// StatusFailed: Plivo, or the network, refused the request.
	StatusFailed AddStatus = "failed"
	// StatusUnknown: the outcome cannot be known, for example because the
	// bot stopped before Plivo answered (see AbandonPending) or the request
	// timed out after it was sent.
	StatusUnknown AddStatus = "unknown"
	// StatusDenied: the bot refused the request itself (not allowed, bad
	// input); Plivo was never asked, so it is final when recorded.
	StatusDenied AddStatus = "denied"
)

// abandonedError is the Error AbandonPending records.
const abandonedError = "mpc-bot stopped before Plivo answered"

// valid reports whether st is one of the known statuses.
func (st AddStatus) valid() bool {
	switch st {
	case StatusPending, StatusDialled, StatusFailed, StatusUnknown, StatusDenied:
		return true
	}
	return false
}

// Add is one add request in the audit trail.
type Add struct {
	// RequestID identifies the request; chosen by the caller and unique.
	RequestID string
	// TeamID, ChannelID and UserID say who asked, and where.
	TeamID, ChannelID, UserID string
	// To is whom to add (a number or SIP address; whether it is masked is
	// the caller's business), ToUser the Slack user if the target was a
	// mention, Role the PHLO role.
	To, ToUser, Role string
	// TriggerSource is the trigger_source sent to the PHLO.
	TriggerSource string
	// Status is where the request stands.
	Status AddStatus
	// APIID is Plivo's api_id for a dialled request; Error says why a
	// request failed, was denied or is unknown.
	APIID, Error string
	// CreatedAt is when the request was recorded; FinishedAt when it reached
	// its final status, and zero while it is pending. Both are UTC,
	// truncated to the millisecond.
	CreatedAt, FinishedAt time.Time
}

// BeginAdd records a new add request before the PHLO is called. Its status is
// pending, unless a.Status is StatusDenied: a denied request never reaches
// Plivo, so it is recorded as final at once with FinishedAt = CreatedAt.
// CreatedAt defaults to now. A RequestID already recorded gives ErrDuplicate.
func (s *Store) BeginAdd(ctx context.Context, a Add) error {
	if a.RequestID == "" {
		return errors.New("store: begin add: empty request ID")
	}
	switch a.Status {
	case "":
		a.Status = StatusPending
	case StatusPending, StatusDenied:
	default:
		return fmt.Errorf("store: begin add %s: status %q is neither pending nor denied", a.RequestID, a.Status)
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = now()
	}
	created := toMillis(a.CreatedAt)
	var finished sql.NullInt64
	if a.Status == StatusDenied {
		finished = sql.NullInt64{Int64: created, Valid: true}
	} else {
		// A pending row has no outcome yet, whatever the caller put there.
		a.APIID, a.Error = "", ""
	}
	// ON CONFLICT DO NOTHING rather than catching a unique violation: the
	// two drivers report those differently, and RowsAffected does not.
	res, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO adds (request_id, team_id, channel_id, user_id,
		to_address, to_user, role, trigger_source, status, api_id, error_message, created_at, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (request_id) DO NOTHING`),
		a.RequestID, a.TeamID, a.ChannelID, a.UserID,
		a.To, a.ToUser, a.Role, a.TriggerSource, string(a.Status), a.APIID, a.Error, created, finished)
	if err != nil {
		return fmt.Errorf("store: begin add %s: %w", a.RequestID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: begin add %s: rows affected: %w", a.RequestID, err)
	}
	if n == 0 {
		return fmt.Errorf("store: begin add %s: %w", a.RequestID, ErrDuplicate)
	}
	return nil
}

// FinishAdd records the outcome of a pending add request. Only a pending row
// moves: finishing a request twice gives ErrNotPending (the first outcome
// stands, which matters when AbandonPending on another replica got there
// first), and an unknown request ID gives ErrNotFound.
func (s *Store) FinishAdd(ctx context.Context, requestID string, status AddStatus, apiID, errMsg string) error {
	if !status.valid() || status == StatusPending {
		return fmt.Errorf("store: finish add %s: %q is not a final status", requestID, status)
	}
	res, err := s.db.ExecContext(ctx, s.rebind(`UPDATE adds SET status = ?, api_id = ?, error_message = ?, finished_at = ?
		WHERE request_id = ? AND status = 'pending'`),
		string(status), apiID, errMsg, toMillis(now()), requestID)
	if err != nil {
		return fmt.Errorf("store: finish add %s: %w", requestID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: finish add %s: rows affected: %w", requestID, err)
	}
	if n > 0 {
		return nil
	}
	// Nothing moved: tell a second finish from a request that never began.
	var one int
	err = s.db.QueryRowContext(ctx, s.rebind("SELECT 1 FROM adds WHERE request_id = ?"), requestID).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("store: finish add %s: %w", requestID, ErrNotFound)
	case err != nil:
		return fmt.Errorf("store: finish add %s: %w", requestID, err)
	}
	return fmt.Errorf("store: finish add %s: %w", requestID, ErrNotPending)
}

// addColumns are the columns scanAdds reads, in its order.
const addColumns = `request_id, team_id, channel_id, user_id, to_address, to_user, role, trigger_source,
		status, api_id, error_message, created_at, finished_at`

// RecentAdds returns at most limit add requests made in channelID of teamID,
// newest first, for the bot's history command. An empty channelID means every
// channel of the workspace. limit must be positive.
func (s *Store) RecentAdds(ctx context.Context, teamID, channelID string, limit int) ([]Add, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store: recent adds: limit %d is not positive", limit)
	}
	query := `SELECT ` + addColumns + ` FROM adds WHERE team_id = ?`
	args := []any{teamID}
	if channelID != "" {
		query += " AND channel_id = ?"
		args = append(args, channelID)
	}
	query += " ORDER BY created_at DESC, id DESC LIMIT ?"
	args = append(args, limit)
	adds, err := s.queryAdds(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: recent adds: %w", err)
	}
	return adds, nil
}

// FindAdd returns the add recorded under requestID, for a Retry button,
// which carries only the ID so that no number travels through Slack.
func (s *Store) FindAdd(ctx context.Context, requestID string) (Add, error) {
	adds, err := s.queryAdds(ctx, `SELECT `+addColumns+` FROM adds WHERE request_id = ?`, requestID)
	switch {
	case err != nil:
		return Add{}, fmt.Errorf("store: find add %s: %w", requestID, err)
	case len(adds) == 0:
		return Add{}, fmt.Errorf("store: find add %s: %w", requestID, ErrNotFound)
	}
	return adds[0], nil
}

func (s *Store) queryAdds(ctx context.Context, query string, args ...any) ([]Add, error) {
	rows, err := s.db.QueryContext(ctx, s.rebind(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var adds []Add
	for rows.Next() {
		var (
			a        Add
			status   string
			created  int64
			finished sql.NullInt64
		)
		if err := rows.Scan(&a.RequestID, &a.TeamID, &a.ChannelID, &a.UserID, &a.To, &a.ToUser, &a.Role,
			&a.TriggerSource, &status, &a.APIID, &a.Error, &created, &finished); err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		a.Status = AddStatus(status)
		a.CreatedAt = fromMillis(created)
		if finished.Valid {
			a.FinishedAt = fromMillis(finished.Int64)
		}
		adds = append(adds, a)
	}
	return adds, rows.Err()
}

// AbandonPending marks as unknown every pending request created before
// olderThan, for requests whose bot was killed between BeginAdd and
// FinishAdd: nobody will ever finish them, and "pending" forever would be a
// lie. It returns how many rows it moved. Call it at start-up with a cut-off
// comfortably older than the PHLO request timeout; it is safe with several
// replicas running because a live replica's requests are younger than that.
func (s *Store) AbandonPending(ctx context.Context, olderThan time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, s.rebind(`UPDATE adds SET status = 'unknown', error_message = ?, finished_at = ?
		WHERE status = 'pending' AND created_at < ?`),
		abandonedError, toMillis(now()), toMillis(olderThan))
	if err != nil {
		return 0, fmt.Errorf("store: abandon pending: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: abandon pending: rows affected: %w", err)
	}
	return int(n), nil
}
