package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/mpc-bot/mpc-bot/conference"
)

// The registry lives in table mappings. Its key column team_id holds a
// Person.Scope: a workspace ID (T…) as it always has, or, since Enterprise
// Grid support, an organisation ID (E…) for an org-wide user. The two never
// collide, and keeping the column's name lets a replica of the previous
// release, still running during a rolling update, go on reading and writing
// workspace-keyed rows.

// Registered returns the address p registered: under p.Scope(), or else
// under p.Team, where an org-wide user's registration lives if it was made
// before organisation keys existed. ok is false, with a nil error, when
// there is none: that is the common case, not a fault.
func (s *Store) Registered(ctx context.Context, p conference.Person) (address string, ok bool, err error) {
	scope := p.Scope()
	err = s.db.QueryRowContext(ctx, s.rebind(`SELECT address FROM mappings
		WHERE user_id = ? AND team_id IN (?, ?)
		ORDER BY CASE WHEN team_id = ? THEN 0 ELSE 1 END LIMIT 1`),
		p.User, scope, p.Team, scope).Scan(&address)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: registered: %w", err)
	}
	return address, true, nil
}

// Register records address as p's own number (or SIP address), replacing
// any earlier one, so that people can set their own trigger_source without
// editing the directory file. It is stored under p.Scope(); an org-wide
// user's row under p.Team, from before organisation keys, goes in the same
// transaction, so that registering once more moves it to the organisation
// (where every workspace finds it). address must already be normalised by
// the caller: the store compares and returns it verbatim.
func (s *Store) Register(ctx context.Context, p conference.Person, address string) error {
	scope := p.Scope()
	if scope == "" || p.User == "" || address == "" {
		return errors.New("store: register: scope, user ID and address must not be empty")
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO mappings (team_id, user_id, address, updated_at)
			VALUES (?, ?, ?, ?)
			ON CONFLICT (team_id, user_id) DO UPDATE SET address = excluded.address, updated_at = excluded.updated_at`),
			scope, p.User, address, toMillis(s.now())); err != nil {
			return err
		}
		if p.Team == "" || p.Team == scope {
			return nil
		}
		_, err := tx.ExecContext(ctx, s.rebind("DELETE FROM mappings WHERE team_id = ? AND user_id = ?"), p.Team, p.User)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: register: %w", err)
	}
	return nil
}

// Unregister forgets p's number, under p.Scope() and under p.Team. existed
// reports whether there was one, so the bot can tell the user "you were not
// registered" instead of claiming to have removed something.
func (s *Store) Unregister(ctx context.Context, p conference.Person) (existed bool, err error) {
	res, err := s.db.ExecContext(ctx, s.rebind("DELETE FROM mappings WHERE user_id = ? AND team_id IN (?, ?)"),
		p.User, p.Scope(), p.Team)
	if err != nil {
		return false, fmt.Errorf("store: unregister: %w", err)
	}
	n, err := affected(res)
	if err != nil {
		return false, fmt.Errorf("store: unregister: %w", err)
	}
	return n > 0, nil
}
