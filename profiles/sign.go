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
	"sync/atomic"
	"time"

	"github.com/smallstep/pkcs7"

	"github.com/mailautoconf/mailautoconf/autoconfig/pempair"
)

// Signer signs profiles with a certificate and key read from PEM files.
//
// It re-reads the files when they change (ACME renewals every 60–90 days
// replace them) through pempair, looking at them at most once per
// DefaultCheckInterval; the parsed key is kept between calls, so signing
// does no parsing. Safe for concurrent use.
type Signer struct {
	files  *pempair.Pair[*signingPair]
	logger atomic.Pointer[slog.Logger]
}

// DefaultCheckInterval is how often a Signer looks at its files; a
// renewed certificate is in use at most this long after it is written.
// Under load, two stat calls per profile would cost more than the rest of
// a cached response.
const DefaultCheckInterval = time.Second

// signingPair is a loaded certificate chain and its key.
type signingPair struct {
	leaf          *x509.Certificate
	intermediates []*x509.Certificate // in file order, after the leaf
	key           crypto.Signer
	// generation is unique per loaded pair: cached signed profiles are
	// keyed by it, so a renewed certificate is used at once.
	generation uint64
}

var pairGenerations atomic.Uint64

// NewSigner loads a certificate file (PEM: the signing certificate first,
// then its intermediates) and a private key file (PEM: PKCS #8, PKCS #1 or
// SEC 1; RSA or ECDSA). A TLS certificate and key work as they are.
func NewSigner(certPath, keyPath string) (*Signer, error) {
	return NewSignerWithLogger(certPath, keyPath, nil)
}

// NewSignerWithLogger is NewSigner logging to logger (nil: slog's default)
// from the first load on: a key file every local user can read is
// reported at start and at each reload.
func NewSignerWithLogger(certPath, keyPath string, logger *slog.Logger) (*Signer, error) {
	s := &Signer{}
	if logger != nil {
		s.logger.Store(logger)
	}
	files, err := pempair.Load(certPath, keyPath, parsePair, pempair.Options[*signingPair]{
		CheckEvery: DefaultCheckInterval,
		OnLoad:     func(*signingPair) { s.warnIfKeyExposed(keyPath) },
		OnError: func(err error) {
			// Logged once per file version: the next change is tried again.
			s.log().Warn("signing files changed but do not load; still signing with the previous certificate", "error", err)
		},
	})
	if err != nil {
		return nil, fmt.Errorf("signing certificate and key: %w", err)
	}
	s.files = files
	return s, nil
}

// SetLogger sends the signer's log lines (files that changed but do not
// load) to logger, the service's configured one.
func (s *Signer) SetLogger(logger *slog.Logger) { s.logger.Store(logger) }

// log is the configured logger, or slog's default before one is set (a
// command-line use, where the default writes to stderr).
func (s *Signer) log() *slog.Logger {
	if l := s.logger.Load(); l != nil {
		return l
	}
	return slog.Default()
}

// warnIfKeyExposed warns when every local user may read the key file:
// whoever reads it can sign profiles that iOS shows as verified.
func (s *Signer) warnIfKeyExposed(keyPath string) {
	info, err := os.Stat(keyPath)
	if err == nil && info.Mode().Perm()&0o004 != 0 {
		s.log().Warn("the profile signing key is readable by every local user: chmod o-r it",
			"key", keyPath, "mode", info.Mode().Perm().String())
	}
}

// Certificate returns the certificate profiles are signed with now.
func (s *Signer) Certificate() *x509.Certificate { return s.pair().leaf }

// Sign returns content as a CMS SignedData in DER, content attached and
// intermediates included, which is what iOS verifies.
func (s *Signer) Sign(content []byte) ([]byte, error) {
	return s.pair().sign(content)
}

// pair returns the pair to sign with, reloaded first when the files
// changed since it was loaded.
func (s *Signer) pair() *signingPair {
	return s.files.Current()
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

// parsePair reads and checks both files: the key must match the
// certificate and each certificate must be signed by the next one.
func parsePair(certPEM, keyPEM []byte) (*signingPair, error) {
	certs, err := readCertificates(certPEM)
	if err != nil {
		return nil, err
	}
	key, err := readPrivateKey(keyPEM)
	if err != nil {
		return nil, err
	}
	pub, ok := certs[0].PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(key.Public()) {
		return nil, errors.New("the signing key does not belong to the first certificate")
	}
	for i := 0; i+1 < len(certs); i++ {
		if err := certs[i].CheckSignatureFrom(certs[i+1]); err != nil {
			return nil, fmt.Errorf("signing certificate %d is not issued by the one after it (order: signing certificate, then intermediates): %w", i+1, err)
		}
	}
	return &signingPair{leaf: certs[0], intermediates: certs[1:], key: key,
		generation: pairGenerations.Add(1)}, nil
}

func readCertificates(data []byte) ([]*x509.Certificate, error) {
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
			return nil, fmt.Errorf("parsing signing certificate: %w", err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM CERTIFICATE block in the signing certificate")
	}
	return certs, nil
}

func readPrivateKey(data []byte) (crypto.Signer, error) {
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("no PEM PRIVATE KEY block in the signing key")
		}
		if !bytes.HasSuffix([]byte(block.Type), []byte("PRIVATE KEY")) {
			continue // e.g. EC PARAMETERS before an EC key
		}
		key, err := parsePrivateKey(block)
		if err != nil {
			return nil, fmt.Errorf("parsing signing key: %w", err)
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
