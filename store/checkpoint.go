package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// SQLite folds its write-ahead log back into the database file in a
// checkpoint, which syncs both files to disk. Left to SQLite, the commit
// that finds the log past 1000 pages runs it, and that commit (a person's
// request being recorded before its ack, or their allowance before their
// PHLO request) waits for two fsyncs: the slowest adds measured were those.
// So sqliteParams turns the automatic checkpoint off, and a checkpointer
// runs it in the background on a connection of its own, which SQLite lets
// work beside the writer (PASSIVE: it never waits for a lock, and copies
// what no reader still needs).

// checkpointEvery is how often the checkpointer runs: often enough that
// the log stays small under any load the bot sees.
const checkpointEvery = time.Second

// checkpointer runs PASSIVE checkpoints on db until stop is closed.
type checkpointer struct {
	db       *sql.DB
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// startCheckpointer opens a connection of its own to the SQLite file at
// dsn and checkpoints it every checkpointEvery.
func startCheckpointer(ctx context.Context, dsn string) (*checkpointer, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite checkpointer: %w", err)
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open sqlite checkpointer: %w", err)
	}
	c := &checkpointer{db: db, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c, nil
}

func (c *checkpointer) run() {
	defer close(c.done)
	tick := time.NewTicker(checkpointEvery)
	defer tick.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-tick.C:
			c.checkpoint()
		}
	}
}

// checkpoint runs one PASSIVE checkpoint. A failure is not fatal, so it is
// not reported: the log keeps every commit, and the next tick tries again.
func (c *checkpointer) checkpoint() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, _ = c.db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
}

// close stops the checkpointer and runs a last checkpoint, so the log is
// folded in when the bot stops (a failure only leaves it for the next
// start, or the last connection's close, to fold in). Closing twice is
// harmless.
func (c *checkpointer) close() error {
	var err error
	c.stopOnce.Do(func() {
		close(c.stop)
		<-c.done
		c.checkpoint()
		if cerr := c.db.Close(); cerr != nil {
			err = fmt.Errorf("store: close sqlite checkpointer: %w", cerr)
		}
	})
	return err
}
