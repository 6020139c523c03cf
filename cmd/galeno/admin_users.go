package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/galeno-health/galeno/impl"
)

func runAdminStaff(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin staff", "--username USERNAME --password PASSWORD [--db URL]", stderr)
	username := fs.String("username", "", "the new user's username: 1-30 of A-Z a-z 0-9 @ . + _ - (required)")
	password := fs.String("password", "", "the new user's password, 8-128 characters (required)")
	dbURL := dbFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *username == "" || *password == "" {
		fs.Usage()
		return errors.New("--username and --password are required")
	}
	return withServer(*dbURL, func(ctx context.Context, s *impl.Server) error {
		id, err := s.CreateStaff(ctx, *username, *password)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "Created staff administrator %q with id %d\n", *username, id)
		return err
	})
}
