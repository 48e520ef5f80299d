// Package store is mpc-bot's persistence, and the implementation of
// conference.Store: the requests each instance has accepted and the
// instances' heartbeats (the Intake), the audit trail, the numbers people
// registered themselves, channels' bridge bindings, each person's dial
// allowance and the once-only keys. Everything that must hold across
// replicas (one owner per request, one winner per key, one allowance per
// person) is decided by the database in one statement or one transaction,
// never by memory in one process.
//
// One Store type runs the same SQL on two backends: an embedded SQLite file
// (modernc.org/sqlite, pure Go, so the bot stays a single static binary and
// needs no server for a one-replica install) and PostgreSQL (pgx's
// database/sql driver) for several replicas sharing state. The SQL is kept to
// the portable subset both understand (TEXT, BIGINT, INSERT … ON CONFLICT …
// RETURNING, CASE rather than GREATEST); the only differences are the
// placeholder syntax, rewritten by rebind, and a few spellings in the
// migrations, substituted by ddl.
//
// Timestamps are stored as BIGINT milliseconds since the Unix epoch (UTC).
// That is the one time representation both backends compare, sort and index
// identically without driver-specific time conversion: SQLite has no time
// type at all, and RFC 3339 text only sorts correctly when every value has the
// same number of fractional digits, which time.RFC3339Nano does not give.
// Millisecond precision is plenty for an audit trail; values read back are
// time.Time in UTC, truncated to the millisecond. The one exception is the
// dial allowance (limits.go), kept in nanoseconds so that waits come out
// exact.
//
// The store reads the time through Config.Now, so tests can move it.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver

	"github.com/mpc-bot/mpc-bot/conference"
)

var _ conference.Store = (*Store)(nil)

// Backend names returned by Store.Backend, so callers (logs, metrics, the
// health endpoint) can say which kind of database a replica is using.
const (
	BackendSQLite   = "sqlite"
	BackendPostgres = "postgres"
)

// ErrNotPending is returned by Finish for an audit entry that already has
// its outcome (or was denied): the first outcome recorded is the one that
// stands, which matters when AbandonPending on another replica got there
// first. It matches conference.ErrDuplicate, because to the caller a
// second outcome is a duplicate it may ignore.
var ErrNotPending = fmt.Errorf("store: audit entry is not pending: %w", conference.ErrDuplicate)

// Config says which database to use. The zero value is not usable: the
// application fills Path with its default ("mpc-bot.db") so that the choice of
// default file lives in one place, the application's settings.
type Config struct {
	// Path is the SQLite database file, used when URL is empty. It is created
	// if missing; its -wal and -shm companions appear beside it.
	Path string
	// URL is a PostgreSQL connection URL (postgres://…) or keyword/value DSN.
	// When set, Path is ignored: a shared server is what lets several bot
	// replicas see one another's claims and audit rows.
	URL string
	// Now is the clock the store reads whenever it needs the time itself
	// (a claim's expiry, an entry's finish, a row's update time); nil means
	// time.Now. Tests set it to move time without sleeping.
	Now func() time.Time
}

// Store is mpc-bot's database handle. It is safe for concurrent use by many
// goroutines, and several Stores (in one process or many) may share one
// database: every cross-request guarantee is enforced by the database, not by
// memory in this process.
type Store struct {
	db      *sql.DB
	backend string
	clock   func() time.Time

	// nextPurge is when (Unix ms) Claim should next delete expired keys. It
	// is per Store rather than per package so that independent Stores do not
	// share state; losing a race on it only means one purge more or less.
	nextPurge atomic.Int64
	// checkpoints folds SQLite's log into the file off the request path
	// (checkpoint.go); nil on PostgreSQL and in-memory SQLite.
	checkpoints *checkpointer
}

// SQLite connection settings, applied by the driver to every connection it
// opens. busy_timeout makes a writer wait for another process's write to end
// instead of failing at once; synchronous=NORMAL in WAL mode makes every
// commit durable across a crash or kill -9 of the process (what the bot's
// promises are about), though a power cut or kernel crash may lose the last
// commits before a checkpoint: FULL would sync the log on every commit,
// which measured half of the time between a command and its PHLO request
// and slowed a burst's acks behind the syncs. Foreign keys are off by
// default in SQLite and on in PostgreSQL, so turn them on for one
// behaviour. wal_autocheckpoint(0) keeps commits from checkpointing the log
// themselves; the checkpointer does it in the background (checkpoint.go).
// _txlock=immediate
// starts every transaction by taking the write lock, so two processes
// upgrading read transactions to write ones cannot deadlock into SQLITE_BUSY,
// and a transaction's reads and writes are atomic with respect to every other
// writer. WAL mode is not set here but by setWAL, because switching a new file
// to WAL fails with SQLITE_BUSY, busy_timeout notwithstanding, when another
// process opens it at the same moment, and a DSN pragma cannot be retried.
const sqliteParams = "_pragma=busy_timeout(10000)" +
	"&_pragma=synchronous(NORMAL)" +
	"&_pragma=foreign_keys(1)" +
	"&_pragma=wal_autocheckpoint(0)" +
	"&_txlock=immediate"

// Open connects to the database cfg names, checks that it answers and brings
// its schema up to date, so that a Store it returns is ready for use. Several
// processes may Open the same database at once; migrations are serialised by
// the database.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	return open(ctx, cfg, migrations)
}

// open is Open with the schema history to apply, so that tests can build a
// database as an older release left it.
func open(ctx context.Context, cfg Config, history []string) (*Store, error) {
	s := &Store{clock: cfg.Now}
	if s.clock == nil {
		s.clock = time.Now
	}
	var err error
	switch {
	case cfg.URL != "":
		s.backend = BackendPostgres
		s.db, err = sql.Open("pgx", cfg.URL)
		if err != nil {
			return nil, fmt.Errorf("store: open postgres: %w", err)
		}
		// A handful of connections is far more than a Slack bot needs and
		// keeps several replicas well inside a small server's max_connections.
		s.db.SetMaxOpenConns(8)
		s.db.SetMaxIdleConns(4)
		s.db.SetConnMaxIdleTime(5 * time.Minute)
	case cfg.Path != "":
		s.backend = BackendSQLite
		s.db, err = sql.Open("sqlite", sqliteDSN(cfg.Path))
		if err != nil {
			return nil, fmt.Errorf("store: open sqlite %s: %w", cfg.Path, err)
		}
		// SQLite allows one writer at a time anyway; one connection makes
		// this process's statements queue in database/sql instead of
		// contending for the file lock, and is plenty for the bot's load.
		s.db.SetMaxOpenConns(1)
		s.db.SetMaxIdleConns(1)
		s.db.SetConnMaxLifetime(0)
	default:
		return nil, errors.New("store: open: neither Path nor URL is set")
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("store: ping %s: %w", s.backend, err)
	}
	wal := false
	if s.backend == BackendSQLite {
		if wal, err = s.setWAL(ctx); err != nil {
			s.db.Close()
			return nil, err
		}
	}
	if err := s.migrate(ctx, history); err != nil {
		s.db.Close()
		return nil, err
	}
	if wal {
		if s.checkpoints, err = startCheckpointer(ctx, sqliteDSN(cfg.Path)); err != nil {
			s.db.Close()
			return nil, err
		}
	}
	return s, nil
}

// setWAL puts the SQLite file in write-ahead-log mode, which lets readers
// proceed during a write and keeps committed transactions across a crash of
// the writer. The mode is stored in the file, so once is enough for every
// connection. Only the switch itself can fail with SQLITE_BUSY without
// waiting (see sqliteParams), so it is retried here for as long as
// busy_timeout would have waited. That patience is real time, not
// Config.Now, which a test may have stopped.
// It reports whether the file is in WAL mode ("memory" is not).
func (s *Store) setWAL(ctx context.Context) (bool, error) {
	const patience = 10 * time.Second
	deadline := time.Now().Add(patience)
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		var mode string
		err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode)
		if err == nil {
			// "memory" is what an in-memory database reports; it has no
			// file to log to and no other process to share with.
			if mode != "wal" && mode != "memory" {
				return false, fmt.Errorf("store: sqlite journal mode is %q, not wal (is the file on a network file system?)", mode)
			}
			return mode == "wal", nil
		}
		var coded interface{ Code() int }
		if !errors.As(err, &coded) || coded.Code()&0xff != sqliteBusy || time.Now().After(deadline) {
			return false, fmt.Errorf("store: sqlite set journal mode: %w", err)
		}
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("store: sqlite set journal mode: %w", ctx.Err())
		case <-time.After(delay):
		}
	}
}

// sqliteBusy is SQLITE_BUSY, the primary result code for "another connection
// holds the lock".
const sqliteBusy = 5

// sqliteDSN makes a file: URI of path, so that a path containing '?', '#' or
// '%' is not mistaken for URI syntax by the driver or by SQLite.
func sqliteDSN(path string) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + esc + "?" + sqliteParams
}

// Close releases the database connections. Calls on a closed Store return
// errors rather than panicking, so a late request during shutdown fails
// cleanly.
func (s *Store) Close() error {
	var cerr error
	if s.checkpoints != nil {
		cerr = s.checkpoints.close()
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return cerr
}

// Ping checks that the database answers, for readiness probes.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping %s: %w", s.backend, err)
	}
	return nil
}

// Backend reports "sqlite" or "postgres", so operators can see from logs which
// database a replica actually uses.
func (s *Store) Backend() string { return s.backend }

// txAttempts bounds how often inTx runs a transaction that PostgreSQL
// aborted to break a deadlock.
const txAttempts = 4

// inTx runs fn in a transaction and commits it. PostgreSQL breaks a deadlock
// between two transactions (two batches locking the same rows in different
// orders) by aborting one of them; that one is simply run again, so fn must
// not keep results from an earlier attempt. SQLite cannot deadlock: its
// transactions take the one write lock when they begin.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.tryTx(ctx, fn)
		if err == nil || attempt == txAttempts || !retryable(err) {
			return err
		}
	}
}

func (s *Store) tryTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() // no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// retryable reports whether err is PostgreSQL's deadlock_detected or
// serialization_failure, after which the whole transaction may be rerun.
func retryable(err error) bool {
	var pg interface{ SQLState() string }
	if !errors.As(err, &pg) {
		return false
	}
	code := pg.SQLState()
	return code == "40P01" || code == "40001"
}

// rebind rewrites the '?' placeholders the package's SQL is written with into
// PostgreSQL's $1, $2, …. It is the one place the two dialects' placeholder
// syntax differs; the package's SQL never has '?' inside a string literal.
func (s *Store) rebind(query string) string {
	if s.backend != BackendPostgres {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// placeholders returns n '?'s separated by commas, for IN lists.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// toMillis converts t to the stored representation (see the package comment).
func toMillis(t time.Time) int64 { return t.UnixMilli() }

// fromMillis converts a stored time back to a UTC time.Time.
func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// now is the store's clock in UTC at the stored precision, so a value written
// and read back compares equal to the one the caller saw.
func (s *Store) now() time.Time { return s.clock().UTC().Truncate(time.Millisecond) }

// affected returns how many rows res changed.
func affected(res sql.Result) (int, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("rows affected: %w", err)
	}
	return int(n), nil
}
