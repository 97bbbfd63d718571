package main

import (
	"errors"
	"fmt"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// errMXNeedsResolver refuses accept.mx when the service has no resolver to
// look the MX records up with.
var errMXNeedsResolver = errors.New("accept.mx needs a DNS resolver: start with --resolver HOST:PORT")

// loadConfig loads path, or the embedded default when path is empty.
func loadConfig(path string) (*autoconfig.Config, error) {
	if path == "" {
		return autoconfig.Default(), nil
	}
	return autoconfig.LoadFile(path)
}

// reloadConfig loads path for a reload. The resolver is chosen once, at
// start-up: without one, a reloaded accept.mx would answer 404 for every
// domain it should accept, silently, so it is refused like a broken file.
func reloadConfig(path string, haveResolver bool) func() (*autoconfig.Config, error) {
	return func() (*autoconfig.Config, error) {
		cfg, err := loadConfig(path)
		if err != nil {
			return nil, err
		}
		if cfg.AcceptsMX() && !haveResolver {
			return nil, fmt.Errorf("%s: %w", cfg.Source, errMXNeedsResolver)
		}
		return cfg, nil
	}
}
