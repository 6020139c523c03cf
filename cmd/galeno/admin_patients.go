package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/galeno-health/galeno/impl"
)

func runAdminOrganization(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin organization", "--id ORG --name NAME [--country CC] [--domain HOST]... [--db URL]", stderr)
	id := fs.String("id", "", "the organization's id, which patients send in the organization header: lower-case letters, digits, dashes and underscores (required)")
	name := fs.String("name", "", "the organization's name (required)")
	country := fs.String("country", impl.DefaultOrganizationCountry, "the country (ISO 3166 alpha-2) national phone numbers are read in")
	var domains domainList
	fs.Var(&domains, "domain", "a portal domain of the organization: requests to it need no organization header (repeatable)")
	dbURL := dbFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *id == "" || *name == "" {
		fs.Usage()
		return errors.New("--id and --name are required")
	}
	return withServer(*dbURL, func(ctx context.Context, s *impl.Server) error {
		if err := s.CreateOrganization(ctx, *id, *name, *country, domains...); err != nil {
			return err
		}
		_, err := fmt.Fprintf(stdout, "created organization %s\n", *id)
		return err
	})
}

// domainList collects the repeated --domain flags.
type domainList []string

func (d *domainList) String() string { return strings.Join(*d, ",") }

func (d *domainList) Set(v string) error {
	*d = append(*d, v)
	return nil
}
