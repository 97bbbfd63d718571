package profiles

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smallstep/pkcs7"
)

// Signer signs profiles with a certificate and key read from PEM files.
//
// It re-reads the files when they change (ACME renewals every 60–90 days
// replace them), checking with two stat calls per signature; the parsed key
// is kept between calls, so signing does no parsing. A change that does not
// load (e.g. the certificate written but not yet its key) keeps the previous
// pair in use until both files load together. Safe for concurrent use.
type Signer struct {
	certPath, keyPath string

	current atomic.Pointer[signingPair]
	// reloadMu makes one goroutine reload while the others keep signing
	// with the current pair.
	reloadMu sync.Mutex
	// failed are the file versions that last failed to load, so that a
	// broken file is parsed once, not on every request.
	failed atomic.Pointer[fileVersions]

	// checkEvery spaces out the stat calls: under load, two syscalls per
	// profile cost more than the rest of a cached response.
	checkEvery time.Duration
	nextCheck  atomic.Int64 // unix nanoseconds
}

// DefaultCheckInterval is how often a Signer looks at its files; a
// renewed certificate is in use at most this long after it is written.
const DefaultCheckInterval = time.Second

// signingPair is a loaded certificate chain and its key.
type signingPair struct {
	leaf          *x509.Certificate
	intermediates []*x509.Certificate // in file order, after the leaf
	key           crypto.Signer
	versions      fileVersions
	// generation is unique per loaded pair: cached signed profiles are
	// keyed by it, so a renewed certificate is used at once.
	generation uint64
}

var pairGenerations atomic.Uint64

// fileVersions identify the versions of the certificate and key files.
type fileVersions struct{ cert, key os.FileInfo }

// changedFrom reports whether either file differs from old: another file
// (ACME clients replace files or symlinks), another size or modification
// time.
func (v fileVersions) changedFrom(old fileVersions) bool {
	return fileChanged(v.cert, old.cert) || fileChanged(v.key, old.key)
}

func fileChanged(a, b os.FileInfo) bool {
	return !os.SameFile(a, b) || a.Size() != b.Size() || !a.ModTime().Equal(b.ModTime())
}

// NewSigner loads a certificate file (PEM: the signing certificate first,
// then its intermediates) and a private key file (PEM: PKCS #8, PKCS #1 or
// SEC 1; RSA or ECDSA). A TLS certificate and key work as they are.
func NewSigner(certPath, keyPath string) (*Signer, error) {
	s := &Signer{certPath: certPath, keyPath: keyPath, checkEvery: DefaultCheckInterval}
	versions, err := s.stat()
	if err != nil {
		return nil, err
	}
	pair, err := loadPair(certPath, keyPath, versions)
	if err != nil {
		return nil, err
	}
	s.current.Store(pair)
	return s, nil
}

// Certificate returns the certificate profiles are signed with now.
func (s *Signer) Certificate() *x509.Certificate { return s.current.Load().leaf }

// Sign returns content as a CMS SignedData in DER, content attached and
// intermediates included, which is what iOS verifies.
func (s *Signer) Sign(content []byte) ([]byte, error) {
	return s.pair().sign(content)
}

// pair returns the pair to sign with, reloading it first when the files
// changed since it was loaded.
func (s *Signer) pair() *signingPair {
	cur := s.current.Load()
	if s.checkEvery > 0 {
		now := time.Now().UnixNano()
		next := s.nextCheck.Load()
		if now < next || !s.nextCheck.CompareAndSwap(next, now+int64(s.checkEvery)) {
			return cur // checked recently, or another goroutine checks now
		}
	}
	versions, err := s.stat()
	if err != nil || !versions.changedFrom(cur.versions) {
		// A file briefly missing during a renewal: keep signing.
		return cur
	}
	if f := s.failed.Load(); f != nil && !versions.changedFrom(*f) {
		return cur
	}
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if cur = s.current.Load(); !versions.changedFrom(cur.versions) {
		return cur // another goroutine reloaded meanwhile
	}
	next, err := loadPair(s.certPath, s.keyPath, versions)
	if err != nil {
		// Logged once per file version: the next change is tried again.
		slog.Warn("signing files changed but do not load; still signing with the previous certificate", "error", err)
		s.failed.Store(&versions)
		return cur
	}
	slog.Info("signing certificate reloaded", "subject", next.leaf.Subject.String(), "not_after", next.leaf.NotAfter)
	s.current.Store(next)
	return next
}

func (s *Signer) stat() (fileVersions, error) {
	cert, err := os.Stat(s.certPath)
	if err != nil {
		return fileVersions{}, fmt.Errorf("signing certificate: %w", err)
	}
	key, err := os.Stat(s.keyPath)
	if err != nil {
		return fileVersions{}, fmt.Errorf("signing key: %w", err)
	}
	return fileVersions{cert: cert, key: key}, nil
}

func (p *signingPair) sign(content []byte) ([]byte, error) {
	sd, err := pkcs7.NewSignedData(content)
	if err != nil {
		return nil, fmt.Errorf("signing profile: %w", err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	// AddSigner, not AddSignerChain: the chain was checked once at load,
	// and AddSignerChain would verify it again on every signature.
	if err := sd.AddSigner(p.leaf, p.key, pkcs7.SignerInfoConfig{}); err != nil {
		return nil, fmt.Errorf("signing profile: %w", err)
	}
	for _, c := range p.intermediates {
		sd.AddCertificate(c)
	}
	der, err := sd.Finish()
	if err != nil {
		return nil, fmt.Errorf("signing profile: %w", err)
	}
	return der, nil
}

// loadPair reads and checks both files: the key must match the certificate
// and each certificate must be signed by the next one.
func loadPair(certPath, keyPath string, versions fileVersions) (*signingPair, error) {
	certs, err := readCertificates(certPath)
	if err != nil {
		return nil, err
	}
	key, err := readPrivateKey(keyPath)
	if err != nil {
		return nil, err
	}
	pub, ok := certs[0].PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(key.Public()) {
		return nil, fmt.Errorf("signing key %s does not belong to the first certificate in %s", keyPath, certPath)
	}
	for i := 0; i+1 < len(certs); i++ {
		if err := certs[i].CheckSignatureFrom(certs[i+1]); err != nil {
			return nil, fmt.Errorf("signing certificate %s: certificate %d is not issued by the one after it (order: signing certificate, then intermediates): %w", certPath, i+1, err)
		}
	}
	return &signingPair{leaf: certs[0], intermediates: certs[1:], key: key, versions: versions,
		generation: pairGenerations.Add(1)}, nil
}

func readCertificates(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading signing certificate: %w", err)
	}
	var certs []*x509.Certificate
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing signing certificate %s: %w", path, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("signing certificate %s: no PEM CERTIFICATE block", path)
	}
	return certs, nil
}

func readPrivateKey(path string) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading signing key: %w", err)
	}
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, fmt.Errorf("signing key %s: no PEM PRIVATE KEY block", path)
		}
		if !bytes.HasSuffix([]byte(block.Type), []byte("PRIVATE KEY")) {
			continue // e.g. EC PARAMETERS before an EC key
		}
		key, err := parsePrivateKey(block)
		if err != nil {
			return nil, fmt.Errorf("parsing signing key %s: %w", path, err)
		}
		return key, nil
	}
}

func parsePrivateKey(block *pem.Block) (crypto.Signer, error) {
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("unsupported PEM block %q (encrypted keys are not supported)", block.Type)
	}
	if err != nil {
		return nil, err
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return k, nil
	}
	return nil, errors.New("only RSA and ECDSA keys are supported")
}
