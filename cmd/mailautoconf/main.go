// Command mailautoconf serves mail client autoconfiguration (Thunderbird
// autoconfig, Outlook Autodiscover, Apple profiles and a setup wizard) from
// one settings model, and generates the same documents offline.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/mailautoconf/mailautoconf/autoconfig/autodiscover"
)

// command is one subcommand (or one format of generate): its flags are
// defined and parsed by run.
type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) error
}

// commands is every subcommand, in the order usage lists them.
var commands = []command{
	{"serve", "run the HTTP service", runServe},
	{"check", "validate a configuration file, or check a domain's DNS and documents live", runCheck},
	{"generate", "write a client configuration document to stdout", runGenerate},
	{"dns", "print the DNS records a customer domain publishes", runDNS},
	{"certs", "obtain certificates ahead of time, or list those in the storage", runCerts},
	{"version", "print the version", runVersion},
}

// generators are the formats of generate, for the helpdesk's offline use.
var generators = []command{
	{"thunderbird", "Thunderbird autoconfig (config-v1.1.xml)", accountDocument("thunderbird", thunderbirdDocument)},
	{"autodiscover", "Outlook Autodiscover POX response (autodiscover.xml)", accountDocument("autodiscover", autodiscover.Response)},
	{"mobileconfig", "Apple configuration profile (.mobileconfig), optionally signed", generateMobileconfig},
	{"declarations", "Apple declarations for an MDM (zip of declaration JSON files)", generateDeclarations},
}

// find returns the command called name.
func find(table []command, name string) (command, bool) {
	for _, c := range table {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// errUsage marks errors after which the usage has already been printed.
var errUsage = errors.New("usage")

// exitError carries a specific exit status (check's findings).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := find(commands, args[0])
	if !ok {
		fmt.Fprintf(stderr, "mailautoconf: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	err := cmd.run(args[1:], stdout, stderr)
	var exit exitError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &exit):
		return exit.code
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(stderr, "mailautoconf %s: %v\n", args[0], err)
		return 1
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: mailautoconf COMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'mailautoconf COMMAND --help' for a command's flags.")
}

// newFlagSet returns a flag set that reports errors instead of exiting, and
// prints a usage line before the flags.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: mailautoconf %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseInterspersed parses flags placed before, between or after the
// positional arguments, and returns those in order. A "--" ends the flags:
// everything after it is positional, even when it starts with "-" (a
// domain argument never does, but a typo must not become a flag).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		// flag.Parse consumes a "--" itself and stops after it.
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// parseFlags parses args and maps flag errors to errUsage (already printed).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		fs.Usage()
		return errUsage
	}
	return nil
}

// version is set at build time with -ldflags "-X main.version=…"; otherwise
// the module version or VCS revision from the build info is used.
var version = ""

func versionString() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " (" + s.Value[:12] + ")"
		}
	}
	return v
}

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", "version", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "mailautoconf", versionString())
	return nil
}
