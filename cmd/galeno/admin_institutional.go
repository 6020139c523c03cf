package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/galeno-health/galeno/impl"
)

func runAdminInstitution(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin institution", "--name NAME [--db URL]", stderr)
	name := fs.String("name", "", "the institution's name, unique (required)")
	dbURL := dbFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *name == "" {
		fs.Usage()
		return errors.New("--name is required")
	}
	return withServer(*dbURL, func(ctx context.Context, s *impl.Server) error {
		key, err := s.CreateInstitution(ctx, *name)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, key)
		return err
	})
}
