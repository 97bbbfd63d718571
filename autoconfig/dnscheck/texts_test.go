package dnscheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/templates"
)

// textKeysInCode are the finding codes and note keys the checker's code
// writes, read from its source so that a new one cannot miss its text.
func textKeysInCode(t *testing.T) []string {
	t.Helper()
	patterns := map[string]*regexp.Regexp{
		"finding.": regexp.MustCompile(`Code: "([a-z-]+)"`),
		"note.":    regexp.MustCompile(`Note\{\{?"([a-z-]+)"|"(approval-[a-z-]+)"`),
	}
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	var keys []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for prefix, re := range patterns {
			for _, m := range re.FindAllStringSubmatch(string(src), -1) {
				keys = append(keys, prefix+firstNonEmpty(m[1:]...))
			}
		}
	}
	require.Contains(t, keys, "finding.record-missing", "the patterns still find the codes")
	require.Contains(t, keys, "note.approval-http", "the patterns still find the notes")
	return keys
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// Every text the checker writes is in every catalog: the CLI and the JSON
// say en.json's, the helpdesk page its language's.
func TestTexts_EveryKeyInEveryCatalog(t *testing.T) {
	cats, err := templates.LoadCatalogs()
	require.NoError(t, err)
	keys := textKeysInCode(t)
	for _, c := range Clients {
		keys = append(keys, "client."+string(c))
	}
	for _, v := range []Verdict{VerdictOK, VerdictOurs, VerdictOwnerRequired, VerdictOwner, VerdictThirdParty, VerdictUnchecked, "also-ours"} {
		keys = append(keys, "verdict."+string(v), "say."+string(v))
	}
	for _, o := range []Outcome{OutcomeOurs, OutcomeOther, OutcomeNothing, OutcomeUnchecked, OutcomeProfile} {
		keys = append(keys, "outcome."+string(o))
	}
	for _, g := range findingGroups {
		keys = append(keys, "group."+g.Key)
	}
	for lang, cat := range cats {
		for _, k := range keys {
			assert.NotEmpty(t, cat[CatalogKey(k)], "%s: %s", lang, k)
		}
	}
}

func TestText_FillsArgumentsAndEndsOneSentence(t *testing.T) {
	assert.Equal(t, "autoconfig.example.ch. resolves to the internal address 10.0.0.1: the checker did not connect to it.",
		Text("finding.internal-address", "autoconfig.example.ch.", "10.0.0.1"))
	assert.Contains(t, Text("finding.record-missing", "example.ch.", "MX", "10 mx.example.net."), "it should be 10 mx.example.net.")
	assert.NotContains(t, Text("finding.record-missing", "example.ch.", "MX", "10 mx.example.net."), "..")
}
