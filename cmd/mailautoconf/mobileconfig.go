package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/mailautoconf/mailautoconf/profiles"
)

// signFlags are the signing certificate and key of Apple profiles.
type signFlags struct {
	cert, key *string
}

func addSignFlags(fs *flag.FlagSet) signFlags {
	return signFlags{
		cert: fs.String("sign-cert", "", "PEM certificate chain to sign Apple profiles with (signing certificate first; a TLS certificate works)"),
		key:  fs.String("sign-key", "", "PEM private key (RSA or ECDSA) of --sign-cert"),
	}
}

// signer loads the signer, logging to logger (nil: slog's default), or
// returns nil when neither flag is given.
func (f signFlags) signer(logger *slog.Logger) (*profiles.Signer, error) {
	switch {
	case *f.cert == "" && *f.key == "":
		return nil, nil
	case *f.cert == "" || *f.key == "":
		return nil, fmt.Errorf("--sign-cert and --sign-key go together")
	}
	return profiles.NewSignerWithLogger(*f.cert, *f.key, logger)
}

func generateMobileconfig(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("generate mobileconfig",
		"generate mobileconfig --email ADDR [--name NAME] [--include mail,calendar,contacts] [--sign-cert FILE --sign-key FILE] [--config FILE] [--provider ID | --resolver HOST:PORT] [-o FILE]", stderr)
	rf := addResolveFlags(fs)
	name := fs.String("name", "", "the user's display name (sender name in Mail)")
	include := fs.String("include", "mail", "payloads: mail, calendar, contacts (comma-separated; calendar and contacts need the provider's caldav_url/carddav_url)")
	output := fs.String("o", "-", "output file; - is stdout")
	sf := addSignFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	opts, err := appleOptions(*name, *include)
	if err != nil {
		return err
	}
	signer, err := sf.signer(nil)
	if err != nil {
		return err
	}
	acct, err := rf.account(opts.Name, stderr)
	if err != nil {
		return err
	}
	body, err := profiles.Render(acct, opts)
	if err != nil {
		return err
	}
	if signer != nil {
		if body, err = signer.Sign(body); err != nil {
			return err
		}
	}
	return writeOutput(stdout, *output, body, "profile")
}

// writeOutput writes a generated file to path, or to stdout for "-".
func writeOutput(stdout io.Writer, path string, body []byte, what string) error {
	if path == "-" {
		_, err := stdout.Write(body)
		return err
	}
	if err := os.WriteFile(path, body, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", what, err)
	}
	return nil
}
