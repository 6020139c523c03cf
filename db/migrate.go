package db

import (
	"context"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrations holds one folder of goose SQL files per dialect. Numbers are shared across dialects:
// 00001 prescrypto, 00002 institutional, 00003 users, 00004 patients, then whatever comes next.
//
//go:embed migrations/postgres/*.sql migrations/sqlite/*.sql
var migrations embed.FS

func (d *DB) migrationProvider(ctx context.Context) (*goose.Provider, error) {
	dir, gooseDialect := "migrations/sqlite", goose.DialectSQLite3
	var opts []goose.ProviderOption
	if d.dialect == Postgres {
		dir, gooseDialect = "migrations/postgres", goose.DialectPostgres
		locker, err := d.migrationLocker(ctx)
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	fsys, err := fs.Sub(migrations, dir)
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(gooseDialect, d.pool.DB, fsys, opts...)
}

// migrationLocker serialises the migrations of processes starting together on one PostgreSQL
// schema: each waits (up to 5 minutes, checking every second) for a session advisory lock whose id
// is derived from the schema, so that databases in other schemas of the server are not held up.
func (d *DB) migrationLocker(ctx context.Context) (lock.SessionLocker, error) {
	var schema string
	if err := d.get(ctx, &schema, `SELECT COALESCE(current_schema(), '')`); err != nil {
		return nil, fmt.Errorf("current schema: %w", err)
	}
	id := fnv.New64a()
	id.Write([]byte("galeno migrations " + schema))
	return lock.NewPostgresSessionLocker(lock.WithLockID(int64(id.Sum64())), lock.WithLockTimeout(1, 300))
}

// Migrate applies every pending migration and returns the versions it applied.
func (d *DB) Migrate(ctx context.Context) ([]int64, error) {
	provider, err := d.migrationProvider(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: migrate: %w", err)
	}
	applied := make([]int64, 0, len(results))
	for _, r := range results {
		applied = append(applied, r.Source.Version)
	}
	return applied, nil
}

// MigrationVersion returns the version of the newest applied migration (0 on an empty database).
func (d *DB) MigrationVersion(ctx context.Context) (int64, error) {
	provider, err := d.migrationProvider(ctx)
	if err != nil {
		return 0, fmt.Errorf("db: migrations: %w", err)
	}
	v, err := provider.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("db: migration version: %w", err)
	}
	return v, nil
}
