package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

// pgError stands for pgconn.PgError, which the store recognises by its
// SQLState method alone.
type pgError string

func (e pgError) Error() string    { return "pg error " + string(e) }
func (e pgError) SQLState() string { return string(e) }

// TestInTxRetriesDeadlocks checks that a transaction PostgreSQL aborted to
// break a deadlock is run again, and that other failures are not.
func TestInTxRetriesDeadlocks(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Config{Path: filepath.Join(t.TempDir(), "tx.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range []struct {
		err   error
		calls int
	}{
		{fmt.Errorf("insert: %w", pgError("40P01")), 2}, // deadlock_detected
		{pgError("40001"), 2},                           // serialization_failure
		{pgError("23505"), 1},                           // unique_violation: final
		{errors.New("disk full"), 1},
	} {
		calls := 0
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			calls++
			if calls == 1 {
				return c.err
			}
			return nil
		})
		if calls != c.calls || (c.calls == 2) != (err == nil) {
			t.Errorf("first attempt failing with %v: %d calls, error %v; want %d calls", c.err, calls, err, c.calls)
		}
	}
	calls := 0
	err = s.inTx(ctx, func(tx *sql.Tx) error { calls++; return pgError("40P01") })
	if calls != txAttempts || err == nil {
		t.Errorf("always deadlocking: %d calls, error %v; want %d calls and the error", calls, err, txAttempts)
	}
}
