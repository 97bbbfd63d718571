package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

func init() {
	commands["check"] = command{
		summary: "validate a configuration file",
		run:     runCheck,
	}
}

func runCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check", "check --config FILE", stderr)
	configPath := fs.String("config", "", "configuration file to validate (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *configPath == "" {
		fmt.Fprintln(stderr, "check needs --config FILE")
		fs.Usage()
		return errUsage
	}
	cfg, err := autoconfig.LoadFile(*configPath)
	var problems autoconfig.ConfigErrors
	if errors.As(err, &problems) {
		for _, p := range problems {
			fmt.Fprintln(stderr, p.Error())
		}
		fmt.Fprintf(stderr, "%d problem(s) found\n", len(problems))
		return exitError{code: 1}
	}
	if err != nil {
		return err
	}
	domains := 0
	for _, p := range cfg.Providers {
		domains += len(p.Domains)
	}
	fmt.Fprintf(stdout, "%s: OK: %d provider(s), %d domain(s)", *configPath, len(cfg.Providers), domains)
	if cfg.CatchAll != nil {
		fmt.Fprintf(stdout, ", any other domain served by %s", cfg.CatchAll.ID)
	}
	fmt.Fprintln(stdout)
	return nil
}
