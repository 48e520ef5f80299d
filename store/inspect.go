package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Schema is what Inspect found: which backend, how far its schema has
// been migrated, and how far this release migrates it.
type Schema struct {
	// Backend is BackendSQLite or BackendPostgres.
	Backend string
	// Version is the highest schema version the database records; 0 when
	// it has never been migrated (or, for SQLite, does not exist yet).
	Version int
	// Latest is the version Open brings a database to.
	Latest int
	// Missing reports a SQLite file that does not exist yet; Open creates
	// it.
	Missing bool
}

// Inspect reports the schema of the database cfg names without creating,
// migrating or writing anything, so that a preflight (`mpc-bot check`) can
// say whether the database answers and is up to date before the bot,
// which migrates at start, ever runs. A SQLite file is opened read-only,
// and one that does not exist is reported Missing rather than created.
func Inspect(ctx context.Context, cfg Config) (Schema, error) {
	sc := Schema{Latest: len(migrations)}
	var db *sql.DB
	var err error
	switch {
	case cfg.URL != "":
		sc.Backend = BackendPostgres
		db, err = sql.Open("pgx", cfg.URL)
		if err != nil {
			return sc, fmt.Errorf("store: inspect postgres: %w", err)
		}
	case cfg.Path != "":
		sc.Backend = BackendSQLite
		if _, err := os.Stat(cfg.Path); errors.Is(err, fs.ErrNotExist) {
			sc.Missing = true
			return sc, nil
		} else if err != nil {
			return sc, fmt.Errorf("store: inspect sqlite: %w", err)
		}
		// mode=ro is SQLite's own URI parameter: nothing this handle does
		// can create or change the file.
		db, err = sql.Open("sqlite", sqliteDSN(cfg.Path)+"&mode=ro")
		if err != nil {
			return sc, fmt.Errorf("store: inspect sqlite %s: %w", cfg.Path, err)
		}
		db.SetMaxOpenConns(1)
	default:
		return sc, errors.New("store: inspect: neither Path nor URL is set")
	}
	defer db.Close()

	if err := db.PingContext(ctx); err != nil {
		return sc, fmt.Errorf("store: ping %s: %w", sc.Backend, err)
	}
	exists := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`
	if sc.Backend == BackendPostgres {
		// to_regclass follows the search_path, as the unqualified names
		// in the migrations do.
		exists = `SELECT COUNT(*) FROM (SELECT to_regclass('schema_migrations') AS t) r WHERE t IS NOT NULL`
	}
	var n int
	if err := db.QueryRowContext(ctx, exists).Scan(&n); err != nil {
		return sc, fmt.Errorf("store: inspect %s: look for schema_migrations: %w", sc.Backend, err)
	}
	if n == 0 {
		return sc, nil
	}
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&sc.Version); err != nil {
		return sc, fmt.Errorf("store: inspect %s: read schema_migrations: %w", sc.Backend, err)
	}
	return sc, nil
}
