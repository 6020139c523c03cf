// Command floor is the server benchmark's reference point: GET /api/v2/medics/{id}/ done with
// nothing but net/http and lib/pq (the stack galeno serve is built on) and the one query galeno
// runs for it, with no authentication, validation, logging or metrics. What it serves is about
// the most any server on this stack can on the benchmark's machine.
//
//	floor ADDR DATABASE_URL VIEWER_ID
package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	_ "github.com/lib/pq"
)

// medic is the row and the JSON of galeno's medic, less the fields galeno derives.
type medic struct {
	ID                int64      `json:"id"`
	OwnerID           *int64     `json:"-"`
	Name              string     `json:"name"`
	Email             string     `json:"email"`
	PasswordHash      string     `json:"-"`
	DateOfBirth       *time.Time `json:"date_of_birth"`
	CedulaProf        string     `json:"cedula_prof"`
	SpecialtyNo       string     `json:"specialty_no"`
	Specialty         string     `json:"specialty"`
	AlmaMater         string     `json:"alma_mater"`
	Female            bool       `json:"female"`
	IsActive          bool       `json:"is_active"`
	SpecialtyVerified bool       `json:"specialty_verified"`
	Campaign          *string    `json:"campaign"`
	CreatedAt         time.Time  `json:"-"`
	Hospital          *int64     `json:"hospital"`
	TypeMembership    *string    `json:"-"`
}

// query is db.VisibleMedic's.
const query = `SELECT medics.id, medics.owner_id, medics.name, medics.email, medics.password_hash,
	medics.date_of_birth, medics.cedula_prof, medics.specialty_no, medics.specialty, medics.alma_mater,
	medics.female, medics.is_active, medics.specialty_verified, medics.campaign, medics.created_at,
	active.hospital_id, active.type_membership
	FROM medics LEFT JOIN memberships active ON active.medic_id = medics.id AND active.is_active AND NOT active.is_deleted
	WHERE medics.id = $1 AND (medics.id = $2 OR medics.owner_id = $2)`

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("usage: floor ADDR DATABASE_URL VIEWER_ID")
	}
	viewer, err := strconv.ParseInt(args[2], 10, 64)
	if err != nil {
		return fmt.Errorf("viewer id: %w", err)
	}
	db, err := sql.Open("postgres", args[1])
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(20) // galeno's defaults
	db.SetMaxIdleConns(20)
	stmt, err := db.Prepare(query)
	if err != nil {
		return err
	}
	return http.ListenAndServe(args[0], http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(r.URL.Path, "/api/v2/medics/"), "/"), 10, 64)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		var m medic
		err = stmt.QueryRowContext(r.Context(), id, viewer).Scan(&m.ID, &m.OwnerID, &m.Name, &m.Email, &m.PasswordHash,
			&m.DateOfBirth, &m.CedulaProf, &m.SpecialtyNo, &m.Specialty, &m.AlmaMater, &m.Female, &m.IsActive,
			&m.SpecialtyVerified, &m.Campaign, &m.CreatedAt, &m.Hospital, &m.TypeMembership)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(&m)
	}))
}
