package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/galeno-health/galeno/impl"
)

// staffPasswordEnv is where `galeno admin staff` finds the password when it is not on standard input.
const staffPasswordEnv = "GALENO_STAFF_PASSWORD"

func runAdminStaff(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin staff", "--username USERNAME (--password-stdin | with "+staffPasswordEnv+" set) [--db URL]", stderr)
	username := fs.String("username", "", "the new user's username: 1-30 of A-Z a-z 0-9 @ . + _ - (required)")
	passwordStdin := fs.Bool("password-stdin", false, "read the password, 8-128 characters, from the first line of standard input")
	password := fs.String("password", "", "deprecated: the command line shows in ps and shell history; use --password-stdin or "+staffPasswordEnv)
	dbURL := dbFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *passwordStdin:
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read the password from standard input: %w", err)
		}
		*password = strings.TrimRight(line, "\r\n")
	case os.Getenv(staffPasswordEnv) != "":
		*password = os.Getenv(staffPasswordEnv)
	case *password != "":
		fmt.Fprintf(stderr, "warning: --password shows in ps and shell history; use --password-stdin or %s\n", staffPasswordEnv)
	}
	if *username == "" || *password == "" {
		fs.Usage()
		return errors.New("--username and a password (--password-stdin or " + staffPasswordEnv + ") are required")
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
