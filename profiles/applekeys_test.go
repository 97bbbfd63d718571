package profiles

import (
	"bufio"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// appleKey is one line of testdata/apple-keys.tsv: a key of Apple's
// profile schema (apple/device-management, mdm/profiles/*.yaml).
type appleKey struct {
	plistType string   // <string>, <integer>, <boolean>, <array>, …
	required  bool     // presence: required
	allowed   []string // rangelist; nil: any value
}

// appleKeys reads the key list: payload type → key → definition. The
// payload type "*" holds CommonPayloadKeys, which every payload has.
func appleKeys(t *testing.T) map[string]map[string]appleKey {
	t.Helper()
	f, err := os.Open(testkit.Testdata(t, "apple-keys.tsv"))
	require.NoError(t, err)
	defer f.Close()
	keys := map[string]map[string]appleKey{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		require.Len(t, cols, 7, "apple-keys.tsv: %q", line)
		k := appleKey{plistType: cols[2], required: cols[3] == "required"}
		if cols[4] != "-" {
			k.allowed = strings.Split(cols[4], "|")
		}
		if keys[cols[0]] == nil {
			keys[cols[0]] = map[string]appleKey{}
		}
		keys[cols[0]][cols[1]] = k
	}
	require.NoError(t, sc.Err())
	return keys
}

// plistTypeOf names the schema type of a value decoded by howett.net/plist.
func plistTypeOf(v any) string {
	switch v.(type) {
	case string:
		return "<string>"
	case uint64, int64:
		return "<integer>"
	case float64:
		return "<real>"
	case bool:
		return "<boolean>"
	case []any:
		return "<array>"
	case map[string]any:
		return "<dictionary>"
	case []byte:
		return "<data>"
	}
	return "unknown"
}

// checkDict checks every key of d against the schema's definitions in
// defs, in order of precedence, and that the required ones are present.
func checkDict(t *testing.T, where string, d map[string]any, defs ...map[string]appleKey) {
	t.Helper()
	for key, value := range d {
		def, ok := lookupKey(key, defs)
		if !assert.True(t, ok, "%s: %s is not a key of Apple's schema", where, key) {
			continue
		}
		assert.Equal(t, def.plistType, plistTypeOf(value), "%s: %s has the wrong plist type", where, key)
		if def.allowed != nil {
			assert.Contains(t, def.allowed, plistValueString(value), "%s: %s is not an allowed value", where, key)
		}
	}
	for _, m := range defs {
		for key, def := range m {
			if def.required {
				assert.Contains(t, d, key, "%s: required key missing", where)
			}
		}
	}
}

func lookupKey(key string, defs []map[string]appleKey) (appleKey, bool) {
	for _, m := range defs {
		if def, ok := m[key]; ok {
			return def, true
		}
	}
	return appleKey{}, false
}

func plistValueString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case uint64:
		return strconv.FormatUint(v, 10)
	}
	return ""
}

// Every key this package emits is one of Apple's, with Apple's type and an
// allowed value, and every required key is present.
func TestRender_OnlyApplesKeysWithApplesTypes(t *testing.T) {
	keys := appleKeys(t)
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := autoconfig.Default()
			if tc.example {
				cfg = exampleConfig(t)
			}
			top := parseGeneric(t, render(t, account(t, cfg, tc.address), tc.opts))
			checkDict(t, "top level", top, keys[TypeConfiguration])
			content, ok := top["PayloadContent"].([]any)
			require.True(t, ok)
			for i, c := range content {
				d, ok := c.(map[string]any)
				require.True(t, ok)
				pt, _ := d["PayloadType"].(string)
				require.Contains(t, keys, pt, "payload %d: unknown payload type", i)
				checkDict(t, pt, d, keys[pt], keys["*"])
			}
		})
	}
}

// The key list itself has what the renderer relies on (a truncated file
// would make the test above pass vacuously).
func TestAppleKeys_ListIsComplete(t *testing.T) {
	keys := appleKeys(t)
	for _, pt := range []string{TypeConfiguration, "*", TypeMail, TypeCalDAV, TypeCardDAV} {
		assert.NotEmpty(t, keys[pt], pt)
	}
	assert.Equal(t, "<integer>", keys[TypeMail]["OutgoingMailServerPortNumber"].plistType)
	assert.Equal(t, []string{"1"}, keys[TypeConfiguration]["PayloadVersion"].allowed)
	assert.True(t, slices.Contains(keys[TypeMail]["EmailAccountType"].allowed, EmailTypeIMAP))
}
