package store

import (
	"context"
	"fmt"
	"time"

	"github.com/mpc-bot/mpc-bot/conference"
)

// keepDone is how long a done request is kept: long enough for a late
// re-delivery of its key to be recognised as a duplicate (Slack retries for
// minutes, people click old buttons for hours) and for an operator to look
// at it the next day.
const keepDone = 48 * time.Hour

// keepInstance is how long a dead instance's row is kept once it owns no
// unfinished request: it then only says when that instance was last seen.
const keepInstance = 48 * time.Hour

// Prune deletes what the store no longer needs to keep, as of now:
//
//   - audit entries created before now − r.Audit, and denials before
//     now − r.Denials (r.Audit when zero), whatever their status; a zero
//     r.Audit keeps entries other than denials for ever;
//   - requests done more than 48 hours ago (by when they were done);
//   - claims that have expired;
//   - instances not heard from for 48 hours that own no unfinished
//     request (one that does is kept, so that its requests stay visibly
//     orphaned until someone adopts them);
//   - dial allowances that are full again (no row is the same allowance),
//     which Pruned does not count.
//
// Each kind goes in its own statement, so that no lock is held for long; a
// failure leaves the kinds after it for the next Prune.
func (s *Store) Prune(ctx context.Context, r conference.Retention, now time.Time) (conference.Pruned, error) {
	var p conference.Pruned
	if r.Audit < 0 || r.Denials < 0 {
		return p, fmt.Errorf("store: prune: negative retention %+v", r)
	}
	denials := r.Denials
	if denials == 0 {
		denials = r.Audit
	}
	steps := []struct {
		what  string
		count *int
		query string
		args  []any
		skip  bool
	}{
		{"entries", &p.Entries, "DELETE FROM adds WHERE created_at < ? AND status <> 'denied'",
			[]any{toMillis(now.Add(-r.Audit))}, r.Audit == 0},
		{"denials", &p.Entries, "DELETE FROM adds WHERE created_at < ? AND status = 'denied'",
			[]any{toMillis(now.Add(-denials))}, denials == 0},
		{"requests", &p.Requests, "DELETE FROM requests WHERE state = 'done' AND updated_at < ?",
			[]any{toMillis(now.Add(-keepDone))}, false},
		{"claims", &p.Claims, "DELETE FROM claims WHERE expires_at <= ?",
			[]any{toMillis(now)}, false},
		{"instances", &p.Instances, `DELETE FROM instances WHERE heartbeat_at < ?
			AND NOT EXISTS (SELECT 1 FROM requests r WHERE r.owner = instances.id AND r.state <> 'done')`,
			[]any{toMillis(now.Add(-keepInstance))}, false},
		{"limits", new(int), "DELETE FROM limits WHERE tat_ns < ?",
			[]any{now.UnixNano()}, false},
	}
	for _, st := range steps {
		if st.skip {
			continue
		}
		res, err := s.db.ExecContext(ctx, s.rebind(st.query), st.args...)
		if err != nil {
			return p, fmt.Errorf("store: prune %s: %w", st.what, err)
		}
		n, err := affected(res)
		if err != nil {
			return p, fmt.Errorf("store: prune %s: %w", st.what, err)
		}
		*st.count += n
	}
	return p, nil
}
