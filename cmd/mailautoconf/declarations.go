package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/profiles"
)

// generateDeclarations writes an account's Apple declarations: a zip of
// one JSON file per declaration, or with --dir the files themselves, for
// an MDM that imports them one by one.
func generateDeclarations(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("generate declarations",
		"generate declarations --email ADDR [--name NAME] [--include mail,calendar,contacts] [--public-url URL] [--config FILE] [--provider ID | --resolver HOST:PORT] [-o FILE | --dir DIR]", stderr)
	rf := addResolveFlags(fs)
	name := fs.String("name", "", "the user's display name (sender name in Mail)")
	include := fs.String("include", "mail", "declarations: mail, calendar, contacts (comma-separated; calendar and contacts need the provider's caldav_url/carddav_url)")
	publicURL := fs.String("public-url", "", "the service's https URL, which serves the credential data the assets point at (default: https:// and the configuration's service_host)")
	output := fs.String("o", "-", "output zip file; - is stdout")
	dir := fs.String("dir", "", "write the declaration files into this directory instead of a zip")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	opts, err := appleOptions(*name, *include)
	if err != nil {
		return err
	}
	acct, err := rf.account(opts.Name, stderr)
	if err != nil {
		return err
	}
	base, err := declarationsBase(*publicURL, *rf.path)
	if err != nil {
		return err
	}
	if *dir != "" {
		return writeDeclarationFiles(*dir, acct, opts, base)
	}
	body, err := profiles.DeclarationsZip(acct, opts, base)
	if err != nil {
		return err
	}
	return writeOutput(stdout, *output, body, "declarations")
}

// appleOptions validates the --name and --include of the Apple formats.
func appleOptions(name, include string) (profiles.Options, error) {
	displayName, err := profiles.ParseName(name)
	if err != nil {
		return profiles.Options{}, fmt.Errorf("--name: %w", err)
	}
	inc, err := profiles.ParseInclude(include)
	if err != nil {
		return profiles.Options{}, fmt.Errorf("--include: %w", err)
	}
	return profiles.Options{Name: displayName, Include: inc}, nil
}

// declarationsBase is the https base URL the credential assets point at:
// a device downloads their data from it, so it must be https
// (credential.userpassword.yaml: DataURL "must start with https://").
func declarationsBase(publicURL, configPath string) (string, error) {
	if publicURL == "" {
		cfg, err := loadConfig(configPath)
		if err != nil {
			return "", err
		}
		if cfg.ServiceHost == "" {
			return "", fmt.Errorf("--public-url is required: the configuration sets no service_host")
		}
		return "https://" + cfg.ServiceHost, nil
	}
	u, err := parsePublicURL(publicURL)
	if err != nil {
		return "", err
	}
	if u.Scheme != "https" {
		return "", fmt.Errorf("--public-url must be https: devices download credential data over https only")
	}
	return u.String(), nil
}

func writeDeclarationFiles(dir string, acct autoconfig.Account, opts profiles.Options, base string) error {
	decls, err := profiles.Declarations(acct, opts, base)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	for _, d := range decls {
		path := filepath.Join(dir, d.File())
		if err := os.WriteFile(path, profiles.EncodeDeclaration(d), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	return nil
}
