package db

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/lib/pq"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect is the SQL dialect of a database. SQL is written once in the common subset (with ?
// placeholders, rebound by sqlx); the few differences live in this file.
type Dialect string

// The supported dialects.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

func dialectOf(driverName string) Dialect {
	if driverName == "postgres" {
		return Postgres
	}
	return SQLite
}

// ILike is the case-insensitive LIKE operator. SQLite's LIKE ignores ASCII case already.
func (d Dialect) ILike() string {
	if d == Postgres {
		return "ILIKE"
	}
	return "LIKE"
}

// forUpdate is the row-locking clause of a SELECT in a transaction; SQLite locks the whole
// database for writing transactions already (they are IMMEDIATE), so it needs none.
func (d Dialect) forUpdate() string {
	if d == Postgres {
		return " FOR NO KEY UPDATE"
	}
	return ""
}

// ContainsPattern returns a LIKE pattern matching s anywhere, to be used with `ESCAPE '\'`.
func ContainsPattern(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

// ConflictError reports a unique-constraint violation: the row would duplicate another one.
type ConflictError struct {
	Table      string   // the table, when the database says
	Columns    []string // the columns of the violated key, when the database says
	Constraint string   // the constraint or index name, when the database says
	Field      string   // the resource's field whose value is taken (see uniqueFields), or ""
	Err        error
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("db: duplicate %s(%s) %s", e.Table, strings.Join(e.Columns, ", "), e.Constraint)
}

func (e *ConflictError) Unwrap() error { return e.Err }

// uniqueFields names, for each unique key that a client's input can hit, the field of the resource
// whose value is taken, so that callers never name a column. A key is table(columns) or, where the
// database reports only an index name (SQLite on an index), that name.
var uniqueFields = map[string]string{
	"medics(email)":                                         "email",
	"medics(email_lower)":                                   "email",
	"medics_email_lower_key":                                "email",
	"memberships(medic_id, hospital_id)":                    "medic_hospital",
	"institutions(name)":                                    "name",
	"institutional_accounts(institution_id, internal_code)": "internal_code",
	"institutional_accounts(institution_id, email_lower)":   "email",
	"users(username)":                                       "username",
	"users(email_lower)":                                    "email",
	"users_email_key":                                       "email",
	"users_username_lower_key":                              "username",
	"organizations(id)":                                     "id",
	"patients(uname)":                                       "uname",
	"patients(organization_id, emr_id)":                     "emrId",
	"patients_emr_id_key":                                   "emrId",
	"organization_domains(domain)":                          "domain",
}

// fieldOf names the field of the key e reports, or "".
func (e *ConflictError) fieldOf() string {
	if f, ok := uniqueFields[e.Table+"("+strings.Join(e.Columns, ", ")+")"]; ok {
		return f
	}
	return uniqueFields[e.Constraint]
}

// IsConflict reports whether err is a unique violation (a *ConflictError).
func IsConflict(err error) bool {
	var c *ConflictError
	return errors.As(err, &c)
}

// ConflictField tells which field of the resource a unique violation is about ("email",
// "username", "medic_hospital"…, the values of uniqueFields), or "" when err is none or on a key
// no input names.
func ConflictField(err error) string {
	var c *ConflictError
	if !errors.As(err, &c) {
		return ""
	}
	return c.Field
}

var (
	pgKeyDetail      = regexp.MustCompile(`^Key \((.+?)\)=`)
	sqliteUniqueCols = regexp.MustCompile(`UNIQUE constraint failed: (.+?)(?: \(\d+\))?$`)
	sqliteIndexName  = regexp.MustCompile(`^index '(.+)'$`)
)

// stalePlan reports whether err is PostgreSQL refusing a prepared statement whose result columns
// changed type since it was prepared ("cached plan must not change result type").
func (d Dialect) stalePlan(err error) bool {
	var pqErr *pq.Error
	return d == Postgres && errors.As(err, &pqErr) && pqErr.Code == "0A000" && strings.Contains(pqErr.Message, "cached plan")
}

// translate turns driver-specific errors the stores care about into typed ones.
func (d Dialect) translate(err error) error {
	if err == nil {
		return nil
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		c := &ConflictError{Table: pqErr.Table, Constraint: pqErr.Constraint, Err: err}
		if m := pgKeyDetail.FindStringSubmatch(pqErr.Detail); m != nil {
			c.Columns = splitColumns(m[1])
		}
		c.Field = c.fieldOf()
		return c
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) && (liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		c := &ConflictError{Err: err}
		if m := sqliteUniqueCols.FindStringSubmatch(liteErr.Error()); m != nil {
			if name := sqliteIndexName.FindStringSubmatch(m[1]); name != nil {
				c.Constraint = name[1]
			} else {
				for _, qualified := range splitColumns(m[1]) {
					table, column, _ := strings.Cut(qualified, ".")
					c.Table = table
					c.Columns = append(c.Columns, column)
				}
			}
		}
		c.Field = c.fieldOf()
		return c
	}
	return err
}

func splitColumns(list string) []string {
	parts := strings.Split(list, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// JSON stores a Go value in a JSON column: JSONB on PostgreSQL, TEXT on SQLite.
type JSON[T any] struct{ V T }

// Value encodes the value as JSON text.
func (j JSON[T]) Value() (driver.Value, error) {
	b, err := json.Marshal(j.V)
	if err != nil {
		return nil, fmt.Errorf("db: encode JSON column: %w", err)
	}
	return string(b), nil
}

// Scan decodes JSON text or bytes from the database.
func (j *JSON[T]) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		var zero T
		j.V = zero
		return nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("db: scan JSON column from %T", src)
	}
	if err := json.Unmarshal(b, &j.V); err != nil {
		return fmt.Errorf("db: decode JSON column: %w", err)
	}
	return nil
}
