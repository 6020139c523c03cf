// Command galeno serves, mocks and administers the Galeno clinical APIs.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
)

// command is one `galeno` subcommand; run parses its own flags from args.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "serve the API (applies pending migrations first)", runServe},
		{"migrate", "apply pending database migrations", runMigrate},
		{"admin", "administration: galeno admin --help", runAdmin},
		{"mock", "serve a mock of the contract for frontend work (default http://127.0.0.1:4010)", runMock},
		{"sandbox", "serve the real API on an in-memory database seeded with the documented examples (development only)", runSandbox},
		{"version", "print the version", runVersion},
	}
}

// version is the release's version, stamped by goreleaser with -ldflags "-X main.version=…"; plain
// builds leave it empty and report the module version Go records in the build info.
var version string

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		default:
			fmt.Fprintf(stderr, "galeno %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "galeno: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: galeno <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'galeno <command> --help' for a command's flags.")
}

// newFlagSet returns a flag set that prints its usage to stderr and reports errors instead of exiting.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("galeno "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: galeno %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", "", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	info, _ := debug.ReadBuildInfo()
	_, err := fmt.Fprintln(stdout, versionLine(version, info))
	return err
}

// versionLine names the build: the stamped version or else the module version (a tag, a pseudo-version
// from VCS, or "(devel)"), then the VCS revision and time and whether the tree had local changes.
func versionLine(stamped string, info *debug.BuildInfo) string {
	if info == nil {
		info = &debug.BuildInfo{}
	}
	v := stamped
	if v == "" {
		v = info.Main.Version
	}
	if v == "" {
		v = "(unknown)"
	}
	vcs := map[string]string{}
	for _, s := range info.Settings {
		vcs[s.Key] = s.Value
	}
	var details []string
	if rev := vcs["vcs.revision"]; rev != "" {
		if vcs["vcs.modified"] == "true" {
			rev += "+modified"
		}
		details = append(details, "revision "+rev)
	} else {
		details = append(details, "no VCS revision (built without -buildvcs)")
	}
	if t := vcs["vcs.time"]; t != "" {
		details = append(details, t)
	}
	if info.GoVersion != "" {
		details = append(details, info.GoVersion)
	}
	return "galeno " + v + " (" + strings.Join(details, ", ") + ")"
}
