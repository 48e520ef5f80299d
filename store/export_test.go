package store

import "context"

// OpenAtVersion opens cfg with only the first version migrations applied,
// as a release that had no more left it, so tests can check that later
// migrations carry its data over.
func OpenAtVersion(ctx context.Context, cfg Config, version int) (*Store, error) {
	return open(ctx, cfg, migrations[:version])
}

// Migrations returns the schema history, so tests can check that deployed
// versions are never edited.
func Migrations() []string { return migrations }
