package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Register records address as the number (or SIP address) of userID in the
// workspace teamID, replacing any earlier one, so that people can set their
// own trigger_source without editing the directory file. address must already
// be normalised by the caller: the store compares and returns it verbatim.
func (s *Store) Register(ctx context.Context, teamID, userID, address string) error {
	if teamID == "" || userID == "" || address == "" {
		return errors.New("store: register: team ID, user ID and address must not be empty")
	}
	_, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO mappings (team_id, user_id, address, updated_at)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (team_id, user_id) DO UPDATE SET address = excluded.address, updated_at = excluded.updated_at`),
		teamID, userID, address, toMillis(now()))
	if err != nil {
		return fmt.Errorf("store: register: %w", err)
	}
	return nil
}

// Unregister forgets userID's number in teamID. existed reports whether there
// was one, so the bot can tell the user "you were not registered" instead of
// claiming to have removed something.
func (s *Store) Unregister(ctx context.Context, teamID, userID string) (existed bool, err error) {
	res, err := s.db.ExecContext(ctx, s.rebind("DELETE FROM mappings WHERE team_id = ? AND user_id = ?"), teamID, userID)
	if err != nil {
		return false, fmt.Errorf("store: unregister: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: unregister: rows affected: %w", err)
	}
	return n > 0, nil
}

// Registered returns the address userID registered in teamID. ok is false,
// with a nil error, when there is none: that is the common case, not a fault.
func (s *Store) Registered(ctx context.Context, teamID, userID string) (address string, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, s.rebind("SELECT address FROM mappings WHERE team_id = ? AND user_id = ?"),
		teamID, userID).Scan(&address)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: registered: %w", err)
	}
	return address, true, nil
}
