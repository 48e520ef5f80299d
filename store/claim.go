package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// purgeEvery is how often, at most, one Store deletes expired claims. Claims
// are small and expired ones are harmless (Claim reclaims them in place), so
// purging is only about keeping the table from growing without bound.
const purgeEvery = time.Minute

// Claim tries to take key for ttl, so that of several replicas (or goroutines)
// handling the same Slack event only one acts on it. It reports true for
// exactly one caller among all those sharing the database, until the claim
// expires ttl later; after that the key can be claimed again, because a
// Slack retry that late is a new request and not a duplicate.
//
// The decision is a single INSERT … ON CONFLICT DO UPDATE … WHERE the stored
// claim has expired: the database's unique key makes it atomic on both
// backends, with no read-then-write race. Expiry uses this process's clock
// (Config.Now), so replicas' clocks should agree to well within ttl.
func (s *Store) Claim(ctx context.Context, key string, ttl time.Duration) (claimed bool, err error) {
	if key == "" {
		return false, errors.New("store: claim: empty key")
	}
	if ttl <= 0 {
		return false, fmt.Errorf("store: claim %s: ttl %v is not positive", key, ttl)
	}
	t := s.now()
	at, until := toMillis(t), toMillis(t.Add(ttl))
	res, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO claims (claim_key, claimed_at, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (claim_key) DO UPDATE SET claimed_at = excluded.claimed_at, expires_at = excluded.expires_at
		WHERE claims.expires_at <= excluded.claimed_at`),
		key, at, until)
	if err != nil {
		return false, fmt.Errorf("store: claim %s: %w", key, err)
	}
	n, err := affected(res)
	if err != nil {
		return false, fmt.Errorf("store: claim %s: %w", key, err)
	}
	s.maybePurge(ctx, at)
	return n > 0, nil
}

// maybePurge deletes expired claims if this Store has not done so for
// purgeEvery. Its failure is deliberately not Claim's: the claim itself has
// been decided, and the next purge will try again.
func (s *Store) maybePurge(ctx context.Context, nowMillis int64) {
	next := s.nextPurge.Load()
	if nowMillis < next || !s.nextPurge.CompareAndSwap(next, nowMillis+purgeEvery.Milliseconds()) {
		return
	}
	if _, err := s.db.ExecContext(ctx, s.rebind("DELETE FROM claims WHERE expires_at <= ?"), nowMillis); err != nil {
		s.nextPurge.Store(0) // retry on the next Claim
	}
}
