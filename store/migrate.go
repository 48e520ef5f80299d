package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// migrations is the schema's history: entry i is version i+1. Entries are
// append-only, because a deployed database records which versions it has run
// and never runs one twice; change the schema by appending. Each entry runs
// in one transaction together with its schema_migrations row, so a crash
// mid-migration leaves the version either fully applied or not at all (both
// backends have transactional DDL). "{{id}}" is the auto-increment primary
// key, the one column type the two dialects spell differently (see ddl).
var migrations = []string{
	// 1: self-service number mappings. Keyed by workspace and user so one
	// database can serve several Slack workspaces.
	`CREATE TABLE mappings (
		team_id    TEXT   NOT NULL,
		user_id    TEXT   NOT NULL,
		address    TEXT   NOT NULL,
		updated_at BIGINT NOT NULL,
		PRIMARY KEY (team_id, user_id)
	)`,

	// 2: audit trail of add requests. id only orders rows created in the
	// same millisecond; request_id is the caller's identity for a request.
	// Statuses are checked in Go, not with a CHECK list, because SQLite
	// cannot alter a CHECK without rebuilding the table and the list may
	// grow. The partial index keeps AbandonPending cheap however large the
	// finished history gets.
	`CREATE TABLE adds (
		id             {{id}},
		request_id     TEXT   NOT NULL UNIQUE,
		team_id        TEXT   NOT NULL,
		channel_id     TEXT   NOT NULL,
		user_id        TEXT   NOT NULL,
		to_address     TEXT   NOT NULL,
		to_user        TEXT   NOT NULL,
		role           TEXT   NOT NULL,
		trigger_source TEXT   NOT NULL,
		status         TEXT   NOT NULL,
		api_id         TEXT   NOT NULL,
		error_message  TEXT   NOT NULL,
		created_at     BIGINT NOT NULL,
		finished_at    BIGINT,
		CHECK ((status = 'pending') = (finished_at IS NULL))
	);
	CREATE INDEX adds_recent ON adds (team_id, channel_id, created_at);
	CREATE INDEX adds_pending ON adds (created_at) WHERE status = 'pending'`,

	// 3: idempotency keys shared by all replicas.
	`CREATE TABLE claims (
		claim_key  TEXT   PRIMARY KEY,
		claimed_at BIGINT NOT NULL,
		expires_at BIGINT NOT NULL
	);
	CREATE INDEX claims_expires ON claims (expires_at)`,
}

// migrationLock is the pg_advisory_xact_lock key that serialises migrations
// across processes starting at once ("mpc-bot" in ASCII). Without it two
// replicas could both see a version as missing and both try to apply it.
const migrationLock int64 = 0x6d70632d626f74

// ddl substitutes the dialect-specific column types into a migration.
func (s *Store) ddl(stmt string) string {
	id := "INTEGER PRIMARY KEY AUTOINCREMENT" // never reuses a deleted row's id
	if s.backend == BackendPostgres {
		id = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
	}
	return strings.ReplaceAll(stmt, "{{id}}", id)
}

// migrate applies every migration the database has not recorded yet. It is
// idempotent and safe to run from several processes at once: on PostgreSQL
// each transaction first takes a transaction-scoped advisory lock; on SQLite
// every transaction begins IMMEDIATE (see sqliteParams), which takes the
// database's single write lock before reading the recorded versions.
func (s *Store) migrate(ctx context.Context) error {
	for i, m := range migrations {
		if err := s.applyMigration(ctx, i+1, m); err != nil {
			return fmt.Errorf("store: migrate to version %d: %w", i+1, err)
		}
	}
	return nil
}

// applyMigration runs one migration and records it, in one transaction,
// unless it is already recorded.
func (s *Store) applyMigration(ctx context.Context, version int, stmt string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() // no-op after Commit

	if s.backend == BackendPostgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    BIGINT PRIMARY KEY,
		applied_at BIGINT NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, s.rebind("SELECT COUNT(*) FROM schema_migrations WHERE version = ?"), version).Scan(&n); err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	if n > 0 {
		return nil // applied earlier, or by another process while we waited
	}
	if _, err := tx.ExecContext(ctx, s.ddl(stmt)); err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.rebind("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)"),
		version, toMillis(time.Now())); err != nil {
		return fmt.Errorf("record: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
