package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/galeno-health/galeno/impl"
)

// adminCommands are the subcommands of `galeno admin`; each family adds its entry here.
func adminCommands() []command {
	return []command{
		{"audit", "print audit events (who read or changed which record) as JSON lines", runAdminAudit},
		{"token", "create an integrator's medic account and print its Prescrypto token", runAdminToken},
		{"institution", "create an institution and print its API key", runAdminInstitution},
		{"organization", "create an organization patients can register in", runAdminOrganization},
		{"staff", "create a Users-family administrator (is_admin, and is_staff)", runAdminStaff},
		{"medic-token", "list, rotate or revoke medics' Prescrypto tokens",
			credentialCommand("medic-token", "medic", "the medic's id")},
		{"institution-key", "list, rotate or revoke institutions' API keys",
			credentialCommand("institution-key", "institution", "the institution's id")},
		{"doctor-key", "list, rotate or revoke doctor (institutional) accounts' API keys",
			credentialCommand("doctor-key", "account", "the account's id (acc_…)")},
		{"patient-tokens", "revoke every token of a patient or of an organization's patients", runAdminPatientTokens},
	}
}

func runAdmin(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, "Usage: galeno admin <subcommand> [flags]\n\nSubcommands:")
		for _, c := range adminCommands() {
			fmt.Fprintf(stderr, "  %-16s %s\n", c.name, c.summary)
		}
		if len(args) == 0 {
			return errors.New("a subcommand is required")
		}
		return nil
	}
	for _, c := range adminCommands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	return fmt.Errorf("unknown subcommand %q (see galeno admin --help)", args[0])
}

// withServer opens the database at url, applies pending migrations and runs fn with a Server on it.
func withServer(url string, fn func(ctx context.Context, s *impl.Server) error) error {
	ctx := context.Background()
	d, _, err := openMigrated(ctx, url)
	if err != nil {
		return err
	}
	defer d.Close()
	return fn(ctx, impl.NewServer(d, impl.Options{}))
}

func runAdminToken(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin token", "--name NAME --email EMAIL [--db URL]", stderr)
	name := fs.String("name", "", "the integrator's name (required)")
	email := fs.String("email", "", "the integrator's email, unique among medics (required)")
	dbURL := dbFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *name == "" || *email == "" {
		fs.Usage()
		return errors.New("--name and --email are required")
	}
	return withServer(*dbURL, func(ctx context.Context, s *impl.Server) error {
		token, err := s.CreateIntegrator(ctx, *name, *email)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, token)
		return err
	})
}
