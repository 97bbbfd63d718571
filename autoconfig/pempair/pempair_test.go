package pempair

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parseJoined stands for a certificate parser: the "pair" is the two
// contents joined, and a key that does not start like its certificate is
// a mismatch.
func parseJoined(certPEM, keyPEM []byte) (string, error) {
	cert, key := string(certPEM), string(keyPEM)
	if cert == "" || !strings.HasPrefix(key, cert[:1]) {
		return "", errors.New("key does not belong to the certificate")
	}
	return cert + "+" + key, nil
}

// write replaces path with a rename and moves its modification time, so
// that a change within the file system's time resolution is seen.
func write(t *testing.T, path, content string, mod time.Time) {
	t.Helper()
	tmp := path + ".tmp"
	require.NoError(t, os.WriteFile(tmp, []byte(content), 0o600))
	require.NoError(t, os.Chtimes(tmp, mod, mod))
	require.NoError(t, os.Rename(tmp, path))
}

func files(t *testing.T) (dir, cert, key string) {
	dir = t.TempDir()
	return dir, filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
}

func TestPair_FollowsTheFiles(t *testing.T) {
	_, cert, key := files(t)
	now := time.Now()
	write(t, cert, "a1", now)
	write(t, key, "a-key", now)
	var mu sync.Mutex
	var loads []string
	var failures []error
	p, err := Load(cert, key, parseJoined, Options[string]{
		OnLoad:  func(v string) { mu.Lock(); loads = append(loads, v); mu.Unlock() },
		OnError: func(err error) { mu.Lock(); failures = append(failures, err); mu.Unlock() },
	})
	require.NoError(t, err)
	assert.Equal(t, "a1+a-key", p.Current())

	// Renewal caught between its two writes: the new certificate with the
	// old key does not load, and the old pair keeps serving; the broken
	// version is parsed once.
	write(t, cert, "b1", now.Add(time.Second))
	assert.Equal(t, "a1+a-key", p.Current())
	assert.Equal(t, "a1+a-key", p.Current())
	require.Len(t, failures, 1)
	assert.ErrorContains(t, failures[0], "does not belong")

	write(t, key, "b-key", now.Add(2*time.Second))
	assert.Equal(t, "b1+b-key", p.Current(), "both files written: the new pair")
	assert.Equal(t, []string{"a1+a-key", "b1+b-key"}, loads)

	// A file briefly missing keeps the pair in use.
	require.NoError(t, os.Remove(key))
	assert.Equal(t, "b1+b-key", p.Current())
	assert.ErrorContains(t, p.Reload(), "reading key")
	assert.Equal(t, "b1+b-key", p.Current())
}

func TestPair_ChecksAtMostOncePerInterval(t *testing.T) {
	_, cert, key := files(t)
	now := time.Now()
	write(t, cert, "a1", now)
	write(t, key, "a-key", now)
	p, err := Load(cert, key, parseJoined, Options[string]{CheckEvery: time.Hour})
	require.NoError(t, err)
	p.nextCheck.Store(time.Now().Add(time.Hour).UnixNano())
	write(t, cert, "b1", now.Add(time.Second))
	write(t, key, "b-key", now.Add(time.Second))
	assert.Equal(t, "a1+a-key", p.Current(), "not looked at again within the interval")
	p.nextCheck.Store(0)
	assert.Equal(t, "b1+b-key", p.Current(), "picked up once the interval is over")
}

func TestLoad_Errors(t *testing.T) {
	dir, cert, key := files(t)
	_, err := Load(cert, key, parseJoined, Options[string]{})
	assert.ErrorContains(t, err, "reading certificate")
	write(t, cert, "a1", time.Now())
	write(t, key, "z-key", time.Now())
	_, err = Load(cert, key, parseJoined, Options[string]{})
	assert.ErrorContains(t, err, "loading certificate "+filepath.Join(dir, "cert.pem"))
}
