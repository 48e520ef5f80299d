package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/mpc-bot/mpc-bot/conference"
)

// Binding returns the bridge channel of team was bound to with "bridge
// <name>". ok is false, with a nil error, when there is no binding; the
// store does not know the bridges, so a binding to a bridge since removed
// from the configuration comes back as it was stored.
func (s *Store) Binding(ctx context.Context, team, channel string) (bridge string, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, s.rebind("SELECT bridge FROM bindings WHERE team_id = ? AND channel_id = ?"),
		team, channel).Scan(&bridge)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: binding %s/%s: %w", team, channel, err)
	}
	return bridge, true, nil
}

// Bind makes channel of team use bridge, recording who set it (by.Key())
// and when, for an operator wondering why a channel dials where it does. An
// empty bridge removes the binding; removing one that does not exist is not
// an error.
func (s *Store) Bind(ctx context.Context, team, channel, bridge string, by conference.Person) error {
	if team == "" || channel == "" {
		return errors.New("store: bind: team and channel must not be empty")
	}
	var err error
	if bridge == "" {
		_, err = s.db.ExecContext(ctx, s.rebind("DELETE FROM bindings WHERE team_id = ? AND channel_id = ?"), team, channel)
	} else {
		_, err = s.db.ExecContext(ctx, s.rebind(`INSERT INTO bindings (team_id, channel_id, bridge, set_by, updated_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (team_id, channel_id) DO UPDATE
			SET bridge = excluded.bridge, set_by = excluded.set_by, updated_at = excluded.updated_at`),
			team, channel, bridge, by.Key(), toMillis(s.now()))
	}
	if err != nil {
		return fmt.Errorf("store: bind %s/%s: %w", team, channel, err)
	}
	return nil
}
