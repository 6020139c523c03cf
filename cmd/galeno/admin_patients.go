package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/galeno-health/galeno/impl"
)

func runAdminOrganization(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin organization", "--id ORG --name NAME [--db URL]", stderr)
	id := fs.String("id", "", "the organization's id, which patients send in the organization header: lower-case letters, digits and dashes (required)")
	name := fs.String("name", "", "the organization's name (required)")
	dbURL := dbFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *id == "" || *name == "" {
		fs.Usage()
		return errors.New("--id and --name are required")
	}
	return withServer(*dbURL, func(ctx context.Context, s *impl.Server) error {
		if err := s.CreateOrganization(ctx, *id, *name); err != nil {
			return err
		}
		_, err := fmt.Fprintf(stdout, "created organization %s\n", *id)
		return err
	})
}
