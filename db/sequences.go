package db

import (
	"context"
	"fmt"
)

// IDSequence names a table whose integer ids the database issues.
type IDSequence string

// The sequences the sandbox's seed advances to give its records their documented ids.
const (
	MedicIDs      IDSequence = "medics"
	HospitalIDs   IDSequence = "hospitals"
	MembershipIDs IDSequence = "memberships"
)

// AdvanceIDs makes next the id the next row inserted into seq's table gets, so that a record created
// through the ordinary code path carries a documented id. It never moves a sequence back: an id at
// or past next already issued is an error.
func (s *Store) AdvanceIDs(ctx context.Context, seq IDSequence, next int64) error {
	var issued int64
	if err := s.get(ctx, &issued, `SELECT COALESCE(MAX(id), 0) FROM `+string(seq)); err != nil {
		return fmt.Errorf("db: advance %s ids: %w", seq, err)
	}
	if issued >= next {
		return fmt.Errorf("db: advance %s ids to %d: id %d is already issued", seq, next, issued)
	}
	var err error
	if s.dialect == Postgres {
		var set int64
		err = s.get(ctx, &set, `SELECT setval(pg_get_serial_sequence(?, 'id'), ?, false)`, string(seq), next)
	} else if _, err = s.exec(ctx, `DELETE FROM sqlite_sequence WHERE name = ?`, string(seq)); err == nil {
		// AUTOINCREMENT issues one more than the largest of this and every id in the table.
		_, err = s.exec(ctx, `INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)`, string(seq), next-1)
	}
	if err != nil {
		return fmt.Errorf("db: advance %s ids to %d: %w", seq, next, err)
	}
	return nil
}
