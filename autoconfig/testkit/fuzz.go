package testkit

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzSeeds returns the seed inputs of fuzz target name from the
// module's testdata/fuzz/<name>/ folder, in Go's corpus file format
// ("go test fuzz v1" then one string(...) or []byte(...) line per
// argument). Go itself only reads testdata/fuzz in the package folder; the
// layout keeps all test data at the top, so fuzz targets f.Add these.
// Each seed is the list of its arguments, as strings.
func FuzzSeeds(t testing.TB, name string) [][]string {
	t.Helper()
	dir := Testdata(t, filepath.Join("fuzz", name))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err, "seed corpus missing")
	var seeds [][]string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		args, err := parseCorpusFile(data)
		require.NoError(t, err, "%s/%s", dir, e.Name())
		seeds = append(seeds, args)
	}
	require.NotEmpty(t, seeds, "no seeds in %s", dir)
	return seeds
}

func parseCorpusFile(data []byte) ([]string, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var args []string
	for first := true; sc.Scan(); first = false {
		line := strings.TrimSpace(sc.Text())
		if first {
			if line != "go test fuzz v1" {
				return nil, errBadCorpus("the first line must be: go test fuzz v1")
			}
			continue
		}
		if line == "" {
			continue
		}
		var quoted string
		switch {
		case strings.HasPrefix(line, "string(") && strings.HasSuffix(line, ")"):
			quoted = line[len("string(") : len(line)-1]
		case strings.HasPrefix(line, "[]byte(") && strings.HasSuffix(line, ")"):
			quoted = line[len("[]byte(") : len(line)-1]
		default:
			return nil, errBadCorpus("only string(...) and []byte(...) values are supported")
		}
		v, err := strconv.Unquote(quoted)
		if err != nil {
			return nil, errBadCorpus("bad quoted value: " + err.Error())
		}
		args = append(args, v)
	}
	return args, sc.Err()
}

type errBadCorpus string

func (e errBadCorpus) Error() string { return "corpus file: " + string(e) }
