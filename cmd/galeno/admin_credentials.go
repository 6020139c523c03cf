package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/galeno-health/galeno/impl"
)

// credentialCommand is `galeno admin <kind> list|rotate|revoke [--<owner> ID]` for one kind of
// credential (impl.CredentialKind.Name); owner names the flag that picks whose credential.
func credentialCommand(kind, owner, ownerHelp string) func(args []string, stdout, stderr io.Writer) error {
	return func(args []string, stdout, stderr io.Writer) error {
		fs := newFlagSet("admin "+kind, "list | rotate --"+owner+" ID | revoke --"+owner+" ID   [--db URL]", stderr)
		who := fs.String(owner, "", ownerHelp+" (rotate, revoke)")
		dbURL := dbFlag(fs)
		action, err := parseAction(fs, args, "list", "rotate", "revoke")
		if err != nil {
			return err
		}
		if (action == "list") != (*who == "") {
			fs.Usage()
			return fmt.Errorf("rotate and revoke need --%s; list takes none", owner)
		}
		return withServer(*dbURL, func(ctx context.Context, s *impl.Server) error {
			i := slices.IndexFunc(s.CredentialKinds(), func(k impl.CredentialKind) bool { return k.Name == kind })
			k := s.CredentialKinds()[i]
			switch action {
			case "list":
				infos, err := k.List(ctx)
				if err != nil {
					return err
				}
				enc := json.NewEncoder(stdout)
				for _, info := range infos {
					if err := enc.Encode(info); err != nil {
						return err
					}
				}
				return nil
			case "rotate":
				secret, err := k.Rotate(ctx, *who)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(stdout, secret)
				return err
			}
			if err := k.Revoke(ctx, *who); err != nil {
				return err
			}
			_, err := fmt.Fprintf(stdout, "revoked the %s of %s %s\n", kind, owner, *who)
			return err
		})
	}
}

// parseAction reads the action (the first argument, one of actions) and then the flags after it.
func parseAction(fs *flag.FlagSet, args []string, actions ...string) (string, error) {
	if len(args) == 0 || !slices.Contains(actions, args[0]) {
		fs.Usage()
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return "", flag.ErrHelp
		}
		return "", fmt.Errorf("the first argument must be one of %v", actions)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return "", err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return "", fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return args[0], nil
}

func runAdminPatientTokens(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin patient-tokens", "revoke (--patient ID | --organization ORG) [--db URL]", stderr)
	patient := fs.String("patient", "", "revoke every token of this patient (its _id, pat_…)")
	organization := fs.String("organization", "", "revoke every token of every patient of this organization")
	dbURL := dbFlag(fs)
	if _, err := parseAction(fs, args, "revoke"); err != nil {
		return err
	}
	if (*patient == "") == (*organization == "") {
		fs.Usage()
		return errors.New("one of --patient and --organization is required")
	}
	return withServer(*dbURL, func(ctx context.Context, s *impl.Server) error {
		if err := s.RevokePatientTokens(ctx, *patient, *organization); err != nil {
			return err
		}
		_, err := fmt.Fprintln(stdout, "revoked every token signed so far; new sign-ins get working tokens")
		return err
	})
}
