package main

import (
	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// loadConfig loads path, or the embedded default when path is empty.
func loadConfig(path string) (*autoconfig.Config, error) {
	if path == "" {
		return autoconfig.Default(), nil
	}
	return autoconfig.LoadFile(path)
}
