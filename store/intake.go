package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mpc-bot/mpc-bot/conference"
)

// The Intake is tables requests and instances. A request belongs to the
// instance that accepted it (owner) until it is done; an instance is alive
// while its heartbeat is recent, by the caller's measure (staleBefore), and
// one with no row at all (never started, or left) is dead. Ownership only
// ever changes by compare-and-swap on the owner the changer saw dead, so
// that of two live instances racing to take over a request exactly one
// does, whatever the backend's isolation level lets them see of each other.

// chunk bounds the rows one statement handles, well inside both backends'
// limits on parameters (SQLite 32766, PostgreSQL 65535).
const chunk = 200

// storedRequest is one row of requests as Accept and Adopt read it.
type storedRequest struct {
	id, owner string
	state     conference.RequestState
	body      string
	live      bool
	created   int64
}

// request decodes the stored conference.Request.
func (r storedRequest) request() (conference.Request, error) {
	var req conference.Request
	if err := json.Unmarshal([]byte(r.body), &req); err != nil {
		return conference.Request{}, fmt.Errorf("request %s: decode: %w", r.id, err)
	}
	return req, nil
}

// Accept records reqs for owner in one transaction, which is what a front
// end's acknowledgement waits for, so it takes one INSERT for the whole
// batch and, only when some keys were recorded before, one SELECT and
// perhaps one UPDATE more. Each request is answered:
//
//   - Accepted: its key is new; it is stored, queued, owned by owner, with
//     Accepted set to now if it was zero (Admission.Request is it as stored).
//   - Duplicate: its key was recorded before and the request is done, or
//     its owner is alive (heartbeat at or after staleBefore), or its owner
//     is owner itself, which is already working on it. A key repeated
//     within reqs is a Duplicate of its first occurrence.
//   - Adopted: its key was recorded before by an owner now dead, and the
//     request is not done: owner takes it over, and the stored request and
//     the state its owner left it in come back.
//
// An instance must Heartbeat before it Accepts, or the others may take its
// requests as those of a dead one.
func (s *Store) Accept(ctx context.Context, owner string, staleBefore time.Time, reqs []conference.Request) ([]conference.Admission, error) {
	if owner == "" {
		return nil, errors.New("store: accept: empty owner")
	}
	if len(reqs) == 0 {
		return nil, nil
	}
	at := s.now()
	stored := make([]conference.Request, len(reqs))
	bodies := make([]string, len(reqs))
	for i, r := range reqs {
		if r.ID == "" || r.Key == "" {
			return nil, fmt.Errorf("store: accept: request %d has no ID or no key", i)
		}
		if r.Accepted.IsZero() {
			r.Accepted = at
		}
		b, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("store: accept %s: encode: %w", r.ID, err)
		}
		stored[i], bodies[i] = r, string(b)
	}
	// Insert in key order, so that two batches sharing keys wait for each
	// other's keys in the same order instead of deadlocking (PostgreSQL).
	order := make([]int, len(reqs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(reqs[a].Key, reqs[b].Key) })

	var out []conference.Admission
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = make([]conference.Admission, len(reqs))
		inserted := make(map[string]bool, len(reqs))
		for part := range slices.Chunk(order, chunk) {
			args := make([]any, 0, 8*len(part))
			for _, i := range part {
				r := stored[i]
				args = append(args, r.ID, r.Key, string(r.Kind), owner, string(conference.StateQueued), bodies[i],
					toMillis(at), toMillis(at))
			}
			if err := s.collect(ctx, tx, insertRequests(len(part)), args, func(rows *sql.Rows) error {
				var id string
				if err := rows.Scan(&id); err != nil {
					return err
				}
				inserted[id] = true
				return nil
			}); err != nil {
				return fmt.Errorf("insert: %w", err)
			}
		}

		var again []int // positions whose key was recorded before
		for i, r := range stored {
			if inserted[r.ID] {
				delete(inserted, r.ID) // a repeat within reqs is a duplicate
				out[i] = conference.Admission{Acceptance: conference.Accepted, Request: r, State: conference.StateQueued}
				continue
			}
			again = append(again, i)
		}
		if len(again) == 0 {
			return nil
		}

		byKey := make(map[string]storedRequest, len(again))
		keys := make([]any, 0, len(again))
		for _, i := range again {
			if _, ok := byKey[reqs[i].Key]; !ok {
				byKey[reqs[i].Key] = storedRequest{}
				keys = append(keys, reqs[i].Key)
			}
		}
		for part := range slices.Chunk(keys, chunk) {
			query := `SELECT id, claim_key, owner, state, body, created_at,
				CASE WHEN EXISTS (SELECT 1 FROM instances i WHERE i.id = requests.owner AND i.heartbeat_at >= ?)
				THEN 1 ELSE 0 END
				FROM requests WHERE claim_key IN (` + placeholders(len(part)) + `)`
			args := append([]any{toMillis(staleBefore)}, part...)
			if err := s.collect(ctx, tx, query, args, func(rows *sql.Rows) error {
				var (
					r          storedRequest
					key, state string
					live       int
				)
				if err := rows.Scan(&r.id, &key, &r.owner, &state, &r.body, &r.created, &live); err != nil {
					return err
				}
				r.state, r.live = conference.RequestState(state), live == 1
				byKey[key] = r
				return nil
			}); err != nil {
				return fmt.Errorf("read recorded: %w", err)
			}
		}

		var dead []storedRequest
		seen := map[string]bool{}
		for _, i := range again {
			r := byKey[reqs[i].Key]
			switch {
			case r.id == "":
				// Only a request ID already taken under another key
				// gets here: the INSERT would have failed on it.
				return fmt.Errorf("request %s: key %q not recorded", reqs[i].ID, reqs[i].Key)
			case r.state != conference.StateDone && r.owner != owner && !r.live && !seen[r.id]:
				seen[r.id] = true
				dead = append(dead, r)
			}
		}
		adopted, err := s.takeOver(ctx, tx, owner, dead, at)
		if err != nil {
			return err
		}
		took := make(map[string]conference.RequestState, len(adopted))
		for _, r := range adopted {
			took[r.id] = r.state
		}
		for _, i := range again {
			r := byKey[reqs[i].Key]
			req, err := r.request()
			if err != nil {
				return err
			}
			out[i] = conference.Admission{Acceptance: conference.Duplicate, Request: req, State: r.state}
			if state, ok := took[r.id]; ok {
				delete(took, r.id)
				out[i].Acceptance, out[i].State = conference.Adopted, state
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: accept: %w", err)
	}
	return out, nil
}

// insertRequests is the INSERT of n requests that Accept runs, written
// into one buffer: a burst's group commits build it with n in the hundreds.
func insertRequests(n int) string {
	var q strings.Builder
	q.Grow(120 + 26*n)
	q.WriteString(`INSERT INTO requests (id, claim_key, kind, owner, state, body, created_at, updated_at) VALUES `)
	for j := range n {
		if j > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
	}
	q.WriteString(" ON CONFLICT (claim_key) DO NOTHING RETURNING id")
	return q.String()
}

// takeOver makes me the owner of those of dead that are still not done and
// still owned by the owner read, and returns them as they now are. The
// owner test is the compare-and-swap that keeps a takeover atomic: on
// PostgreSQL a second instance's UPDATE waits for the first's and then finds
// the owner changed.
func (s *Store) takeOver(ctx context.Context, tx *sql.Tx, me string, dead []storedRequest, at time.Time) ([]storedRequest, error) {
	var taken []storedRequest
	for part := range slices.Chunk(dead, chunk) {
		query := `UPDATE requests SET owner = ?, updated_at = ? WHERE state <> 'done' AND (`
		args := []any{me, toMillis(at)}
		for j, r := range part {
			if j > 0 {
				query += " OR "
			}
			query += "(id = ? AND owner = ?)"
			args = append(args, r.id, r.owner)
		}
		query += ") RETURNING id, state, body, created_at"
		if err := s.collect(ctx, tx, query, args, func(rows *sql.Rows) error {
			var (
				r     storedRequest
				state string
			)
			if err := rows.Scan(&r.id, &state, &r.body, &r.created); err != nil {
				return err
			}
			r.owner, r.state = me, conference.RequestState(state)
			taken = append(taken, r)
			return nil
		}); err != nil {
			return nil, fmt.Errorf("take over: %w", err)
		}
	}
	return taken, nil
}

// collect runs query in tx and calls scan for each row.
func (s *Store) collect(ctx context.Context, tx *sql.Tx, query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, s.rebind(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("scan: %w", err)
		}
	}
	return rows.Err()
}

// Adopt gives me every request not done whose owner is dead (its last
// heartbeat is older than staleBefore, or it has none) and not me, with the
// state its owner left it in, oldest first. Each request is taken by one
// instance only, however many Adopt at once.
func (s *Store) Adopt(ctx context.Context, me string, staleBefore time.Time) ([]conference.Adoption, error) {
	if me == "" {
		return nil, errors.New("store: adopt: empty instance")
	}
	var out []conference.Adoption
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = nil
		var dead []storedRequest
		if err := s.collect(ctx, tx, `SELECT id, owner FROM requests
			WHERE state <> 'done' AND owner <> ?
			AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.id = requests.owner AND i.heartbeat_at >= ?)`,
			[]any{me, toMillis(staleBefore)}, func(rows *sql.Rows) error {
				var r storedRequest
				if err := rows.Scan(&r.id, &r.owner); err != nil {
					return err
				}
				dead = append(dead, r)
				return nil
			}); err != nil {
			return fmt.Errorf("read orphans: %w", err)
		}
		taken, err := s.takeOver(ctx, tx, me, dead, s.now())
		if err != nil {
			return err
		}
		slices.SortFunc(taken, func(a, b storedRequest) int {
			return cmp.Or(cmp.Compare(a.created, b.created), strings.Compare(a.id, b.id))
		})
		for _, r := range taken {
			req, err := r.request()
			if err != nil {
				return err
			}
			out = append(out, conference.Adoption{Request: req, State: r.state})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: adopt: %w", err)
	}
	return out, nil
}

// SetState moves request id along queued → running → done. Setting the
// state it is in does nothing; moving it back (a late "running" for a done
// request) is refused with an error, and an unknown id gives
// conference.ErrNotFound.
func (s *Store) SetState(ctx context.Context, id string, st conference.RequestState) error {
	var before []any // the states st may follow
	switch st {
	case conference.StateQueued:
	case conference.StateRunning:
		before = []any{string(conference.StateQueued)}
	case conference.StateDone:
		before = []any{string(conference.StateQueued), string(conference.StateRunning)}
	default:
		return fmt.Errorf("store: set state %s: %q is not a request state", id, st)
	}
	if len(before) > 0 {
		args := append([]any{string(st), toMillis(s.now()), id}, before...)
		res, err := s.db.ExecContext(ctx, s.rebind(`UPDATE requests SET state = ?, updated_at = ?
			WHERE id = ? AND state IN (`+placeholders(len(before))+`)`), args...)
		if err != nil {
			return fmt.Errorf("store: set state %s: %w", id, err)
		}
		n, err := affected(res)
		if err != nil {
			return fmt.Errorf("store: set state %s: %w", id, err)
		}
		if n > 0 {
			return nil
		}
	}
	var cur string
	err := s.db.QueryRowContext(ctx, s.rebind("SELECT state FROM requests WHERE id = ?"), id).Scan(&cur)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("store: set state %s: %w", id, conference.ErrNotFound)
	case err != nil:
		return fmt.Errorf("store: set state %s: %w", id, err)
	case conference.RequestState(cur) != st:
		return fmt.Errorf("store: set state %s: it is %s, which does not go back to %s", id, cur, st)
	}
	return nil
}

// Heartbeat records that instance is alive at at, so that nobody adopts its
// requests.
func (s *Store) Heartbeat(ctx context.Context, instance string, at time.Time) error {
	if instance == "" {
		return errors.New("store: heartbeat: empty instance")
	}
	if _, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO instances (id, heartbeat_at) VALUES (?, ?)
		ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`),
		instance, toMillis(at)); err != nil {
		return fmt.Errorf("store: heartbeat %s: %w", instance, err)
	}
	return nil
}

// Leave forgets a stopped instance, so that whatever it did not finish can
// be adopted at once rather than when its heartbeat goes stale.
func (s *Store) Leave(ctx context.Context, instance string) error {
	if _, err := s.db.ExecContext(ctx, s.rebind("DELETE FROM instances WHERE id = ?"), instance); err != nil {
		return fmt.Errorf("store: leave %s: %w", instance, err)
	}
	return nil
}

// FindRequest returns the request stored under id and its state
// (conference.ErrNotFound if none).
func (s *Store) FindRequest(ctx context.Context, id string) (conference.Request, conference.RequestState, error) {
	r := storedRequest{id: id}
	var state string
	err := s.db.QueryRowContext(ctx, s.rebind("SELECT body, state FROM requests WHERE id = ?"), id).Scan(&r.body, &state)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return conference.Request{}, "", fmt.Errorf("store: find request %s: %w", id, conference.ErrNotFound)
	case err != nil:
		return conference.Request{}, "", fmt.Errorf("store: find request %s: %w", id, err)
	}
	req, err := r.request()
	if err != nil {
		return conference.Request{}, "", fmt.Errorf("store: find request: %w", err)
	}
	return req, conference.RequestState(state), nil
}
