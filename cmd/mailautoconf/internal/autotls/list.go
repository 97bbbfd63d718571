package autotls

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/caddyserver/certmagic"
)

// Info describes one certificate in the storage.
type Info struct {
	Name     string
	Issuer   string // the issuing CA's name
	NotAfter time.Time
	State    string // valid, renewal due, expired
}

// renewalWindow is CertMagic's default: renewal starts when a third of
// the lifetime remains.
const renewalWindow = 1.0 / 3

// List reads the certificates in the storage directory, sorted by name.
func List(storage string, now time.Time) ([]Info, error) {
	root := filepath.Join(storage, certmagic.StorageKeys.CertsPrefix(""))
	root = strings.TrimSuffix(root, string(filepath.Separator))
	var out []Info
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == root {
				return fs.SkipAll // nothing issued yet
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".crt") {
			return nil
		}
		leaf, err := readLeaf(path)
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(filepath.Base(path), ".crt")
		out = append(out, Info{Name: name, Issuer: leaf.Issuer.CommonName, NotAfter: leaf.NotAfter, State: state(leaf, now)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing certificates in %s: %w", storage, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func readLeaf(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM certificate", path)
	}
	return x509.ParseCertificate(block.Bytes)
}

func state(leaf *x509.Certificate, now time.Time) string {
	lifetime := leaf.NotAfter.Sub(leaf.NotBefore)
	switch {
	case now.After(leaf.NotAfter):
		return "expired"
	case leaf.NotAfter.Sub(now) < time.Duration(float64(lifetime)*renewalWindow):
		return "renewal due"
	}
	return "valid"
}
