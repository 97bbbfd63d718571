package main

import (
	"fmt"
	"log/slog"
	"os"
	"syscall"
)

// privateDir makes dir, which holds private keys (the ACME account's and
// the certificates'), private to the service: mode 0700 when the service
// owns it, else a warning, since only its owner may change its mode.
func privateDir(dir string, logger *slog.Logger) error {
	info, err := os.Stat(dir)
	if err != nil {
		return err
	}
	mode := info.Mode().Perm()
	if mode&0o077 == 0 {
		return nil
	}
	if st, ok := info.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != os.Geteuid() {
		logger.Warn("the directory of private keys is open to other users and owned by another: chmod 700 it",
			"dir", dir, "mode", mode.String())
		return nil
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("making %s private: %w", dir, err)
	}
	logger.Warn("the directory of private keys was open to other users: made private (0700)", "dir", dir, "was", mode.String())
	return nil
}
