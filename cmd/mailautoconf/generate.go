package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/thunderbird"
)

func runGenerate(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stderr, "Usage: mailautoconf generate FORMAT --email ADDR [flags]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Formats:")
		for _, g := range generators {
			fmt.Fprintf(stderr, "  %-13s %s\n", g.name, g.summary)
		}
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	g, ok := find(generators, args[0])
	if !ok {
		fmt.Fprintf(stderr, "unknown format %q: run 'mailautoconf generate --help'\n", args[0])
		return errUsage
	}
	return g.run(args[1:], stdout, stderr)
}

// resolveFlags are the flags every format shares.
type resolveFlags struct {
	email *string
	configFlags
}

func addResolveFlags(fs *flag.FlagSet) resolveFlags {
	return resolveFlags{
		email:       fs.String("email", "", "the user's email address (required)"),
		configFlags: addConfigFlags(fs),
	}
}

// account validates the address and resolves it with the configuration,
// with the person's name ("" when unknown); the warning of the embedded
// example goes to stderr.
func (f resolveFlags) account(displayName string, stderr io.Writer) (autoconfig.Account, error) {
	if *f.email == "" {
		return autoconfig.Account{}, fmt.Errorf("--email is required")
	}
	addr, err := autoconfig.ParseAddress(*f.email)
	if err != nil {
		return autoconfig.Account{}, err
	}
	if err := f.checkResolver(); err != nil {
		return autoconfig.Account{}, err
	}
	cfg, err := f.load(stderr)
	if err != nil {
		return autoconfig.Account{}, err
	}
	p, err := f.providerFor(cfg, addr.Domain, *f.resolver)
	if err != nil {
		return autoconfig.Account{}, err
	}
	return autoconfig.NewAccount(p, addr, displayName), nil
}

// accountDocument is a generator for a format that is a function of the
// resolved account alone.
func accountDocument(format string, render func(autoconfig.Account) []byte) func(args []string, stdout, stderr io.Writer) error {
	return func(args []string, stdout, stderr io.Writer) error {
		fs := newFlagSet("generate "+format, "generate "+format+" --email ADDR [--config FILE] [--provider ID | --resolver HOST:PORT]", stderr)
		rf := addResolveFlags(fs)
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		acct, err := rf.account("", stderr)
		if err != nil {
			return err
		}
		_, err = stdout.Write(render(acct))
		return err
	}
}

// thunderbirdDocument is the placeholder form Thunderbird is served: it
// depends on the account's provider and domain only.
func thunderbirdDocument(acct autoconfig.Account) []byte {
	return thunderbird.Render(autoconfig.NewDomain(acct.Provider, acct.Address.Domain))
}
