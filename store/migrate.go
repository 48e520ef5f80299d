package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// migrations is the schema's history: entry i is version i+1. Entries are
// append-only, because a deployed database records which versions it has run
// and never runs one twice; change the schema by appending. Each entry runs
// in one transaction together with its schema_migrations row, so a crash
// mid-migration leaves the version either fully applied or not at all (both
// backends have transactional DDL). "{{id}}" is the auto-increment primary
// key and "{{strpos}}" the function finding a substring, which the two
// dialects spell differently (see ddl).
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

	// 4: the audit trail becomes conference.Entry: every verb, not only
	// adds. The table keeps its name and old columns, and every new column
	// has a default, so that a replica of the previous release, still
	// running during a rolling update, can go on writing its rows (which
	// read back as calls on the default bridge, its 'dialled' as accepted).
	// request is the request ID part of request_id; user_team is the
	// requester's workspace where it differs from the place's (team_id),
	// else ''; enterprise_id is the requester's organisation, so that
	// Person.Scope can be computed; error_message holds Entry.Detail. The
	// indexes serve Entries' filters (workspace, person, request) newest
	// first, and Prune's cut-off.
	`ALTER TABLE adds ADD COLUMN verb TEXT NOT NULL DEFAULT 'call';
	ALTER TABLE adds ADD COLUMN request TEXT NOT NULL DEFAULT '';
	ALTER TABLE adds ADD COLUMN bridge TEXT NOT NULL DEFAULT 'default';
	ALTER TABLE adds ADD COLUMN thread_ts TEXT NOT NULL DEFAULT '';
	ALTER TABLE adds ADD COLUMN user_team TEXT NOT NULL DEFAULT '';
	ALTER TABLE adds ADD COLUMN enterprise_id TEXT NOT NULL DEFAULT '';
	ALTER TABLE adds ADD COLUMN cause TEXT NOT NULL DEFAULT '';
	ALTER TABLE adds ADD COLUMN rule TEXT NOT NULL DEFAULT '';
	UPDATE adds SET request = CASE WHEN {{strpos}}(request_id, '/') > 0
		THEN substr(request_id, 1, {{strpos}}(request_id, '/') - 1) ELSE request_id END;
	UPDATE adds SET status = 'accepted' WHERE status = 'dialled';
	CREATE INDEX adds_team ON adds (team_id, created_at);
	CREATE INDEX adds_user ON adds (team_id, user_id, created_at);
	CREATE INDEX adds_request ON adds (request);
	CREATE INDEX adds_created ON adds (created_at)`,

	// 5: the Intake. A request is stored whole (body, conference.Request as
	// JSON) so that any instance can finish or explain it; claim_key makes
	// it once-only; owner is the instance working on it, alive as long as
	// its row in instances has a recent heartbeat. The partial indexes keep
	// adoption and pruning cheap however many done requests there are.
	`CREATE TABLE requests (
		id         TEXT   PRIMARY KEY,
		claim_key  TEXT   NOT NULL UNIQUE,
		kind       TEXT   NOT NULL,
		owner      TEXT   NOT NULL,
		state      TEXT   NOT NULL,
		body       TEXT   NOT NULL,
		created_at BIGINT NOT NULL,
		updated_at BIGINT NOT NULL
	);
	CREATE INDEX requests_open ON requests (owner) WHERE state <> 'done';
	CREATE INDEX requests_done ON requests (updated_at) WHERE state = 'done';
	CREATE TABLE instances (
		id           TEXT   PRIMARY KEY,
		heartbeat_at BIGINT NOT NULL
	)`,

	// 6: channels' bridge bindings; set_by is the Person.Key of who set it.
	`CREATE TABLE bindings (
		team_id    TEXT   NOT NULL,
		channel_id TEXT   NOT NULL,
		bridge     TEXT   NOT NULL,
		set_by     TEXT   NOT NULL,
		updated_at BIGINT NOT NULL,
		PRIMARY KEY (team_id, channel_id)
	)`,

	// 7: each person's dial allowance, as GCRA's theoretical arrival time
	// in nanoseconds since the epoch (see limits.go).
	`CREATE TABLE limits (
		limit_key TEXT   PRIMARY KEY,
		tat_ns    BIGINT NOT NULL
	)`,
}

// migrationLock is the pg_advisory_xact_lock key that serialises migrations
// across processes starting at once ("mpc-bot" in ASCII). Without it two
// replicas could both see a version as missing and both try to apply it.
const migrationLock int64 = 0x6d70632d626f74

// ddl substitutes the dialect-specific spellings into a migration.
func (s *Store) ddl(stmt string) string {
	id := "INTEGER PRIMARY KEY AUTOINCREMENT" // never reuses a deleted row's id
	strpos := "instr"
	if s.backend == BackendPostgres {
		id = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
		strpos = "strpos"
	}
	return strings.NewReplacer("{{id}}", id, "{{strpos}}", strpos).Replace(stmt)
}

// migrate applies every migration the database has not recorded yet. It is
// idempotent and safe to run from several processes at once: on PostgreSQL
// each transaction first takes a transaction-scoped advisory lock; on SQLite
// every transaction begins IMMEDIATE (see sqliteParams), which takes the
// database's single write lock before reading the recorded versions.
func (s *Store) migrate(ctx context.Context, history []string) error {
	for i, m := range history {
		if err := s.applyMigration(ctx, i+1, m); err != nil {
			return fmt.Errorf("store: migrate to version %d: %w", i+1, err)
		}
	}
	return nil
}

// applyMigration runs one migration and records it, in one transaction,
// unless it is already recorded.
func (s *Store) applyMigration(ctx context.Context, version int, stmt string) error {
	return s.tryTx(ctx, func(tx *sql.Tx) error {
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
			version, toMillis(s.now())); err != nil {
			return fmt.Errorf("record: %w", err)
		}
		return nil
	})
}
