package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCheckpointsRunInTheBackground: no commit checkpoints SQLite's log
// itself (wal_autocheckpoint is 0 on the store's connection), and the
// checkpointer folds what was written into the database file on its own.
func TestCheckpointsRunInTheBackground(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	path := filepath.Join(t.TempDir(), "mpc.db")
	s, err := Open(ctx, Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	var auto int
	if err := s.db.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&auto); err != nil {
		t.Fatal(err)
	}
	if auto != 0 {
		t.Fatalf("wal_autocheckpoint is %d on the store's connection: commits would checkpoint", auto)
	}

	before := fileSize(t, path)
	if _, err := s.db.ExecContext(ctx, "CREATE TABLE ballast (b TEXT)"); err != nil {
		t.Fatal(err)
	}
	const rows, size = 256, 4096
	for range rows {
		if _, err := s.db.ExecContext(ctx, "INSERT INTO ballast (b) VALUES (?)", strings.Repeat("x", size)); err != nil {
			t.Fatal(err)
		}
	}
	for fileSize(t, path) < before+rows*size/2 {
		select {
		case <-ctx.Done():
			t.Fatalf("after a minute the database file is %d bytes (%d before 1 MiB was written): nothing checkpointed the log", fileSize(t, path), before)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
