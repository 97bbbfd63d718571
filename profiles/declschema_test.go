package profiles

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// A checker of declarations against Apple's schema YAML, copied from
// apple/device-management (declarative/declarations/) into
// testdata/schema/apple-declarations with its licence: the rules come from
// the YAML, as /work/shared/validators/apple does for profiles. Checked:
// required keys, types (an <integer> is a JSON integer, not a string or a
// real), rangelist values, unknown keys refused, and the declaration base
// (Type matching the schema, Identifier and ServerToken at most 64 octets).

// schemaKey is one entry of a YAML file's payloadkeys.
type schemaKey struct {
	Key        string      `yaml:"key"`
	Type       string      `yaml:"type"`
	Presence   string      `yaml:"presence"`
	RangeList  []any       `yaml:"rangelist"`
	AssetTypes []string    `yaml:"assettypes"`
	SubKeys    []schemaKey `yaml:"subkeys"`
}

// schemaFile is one schema YAML file.
type schemaFile struct {
	Payload struct {
		DeclarationType string `yaml:"declarationtype"`
		CredentialType  string `yaml:"credentialtype"`
	} `yaml:"payload"`
	PayloadKeys []schemaKey `yaml:"payloadkeys"`
}

// declarationSchemas are the schema files by declaration or credential
// type, and the declaration base.
type declarationSchemas struct {
	base  schemaFile
	types map[string]schemaFile
}

func loadDeclarationSchemas(t testing.TB) declarationSchemas {
	t.Helper()
	dir := testkit.Testdata(t, "schema/apple-declarations")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	s := declarationSchemas{types: map[string]schemaFile{}}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		data, err := os.ReadFile(dir + "/" + e.Name())
		require.NoError(t, err)
		var f schemaFile
		require.NoError(t, yaml.Unmarshal(data, &f), e.Name())
		switch {
		case e.Name() == "declarationbase.yaml":
			s.base = f
		case f.Payload.DeclarationType != "":
			s.types[f.Payload.DeclarationType] = f
		case f.Payload.CredentialType != "":
			s.types[f.Payload.CredentialType] = f
		}
	}
	require.NotEmpty(t, s.base.PayloadKeys, "declarationbase.yaml")
	return s
}

// decodeJSON decodes with numbers kept as written, so that 993 and "993"
// and 993.0 are told apart.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// checkDeclaration returns the violations of one declaration file, and
// the declaration's Type and Identifier.
func (s declarationSchemas) checkDeclaration(data []byte) (violations []string, typ, ident string) {
	v, err := decodeJSON(data)
	if err != nil {
		return []string{"not JSON: " + err.Error()}, "", ""
	}
	violations = checkValue("", v, schemaKey{Type: "<dictionary>", SubKeys: s.base.PayloadKeys})
	top, _ := v.(map[string]any)
	typ, _ = top["Type"].(string)
	ident, _ = top["Identifier"].(string)
	for _, k := range []string{"Identifier", "ServerToken"} {
		if str, _ := top[k].(string); len(str) > 64 {
			violations = append(violations, k+": longer than 64 octets")
		}
	}
	schema, ok := s.types[typ]
	if !ok {
		return append(violations, fmt.Sprintf("Type: no schema for %q", typ)), typ, ident
	}
	violations = append(violations, checkValue("Payload", top["Payload"], schemaKey{Type: "<dictionary>", SubKeys: schema.PayloadKeys})...)
	return violations, typ, ident
}

// checkCredential returns the violations of credential data.
func (s declarationSchemas) checkCredential(credentialType string, data []byte) []string {
	v, err := decodeJSON(data)
	if err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	return checkValue("", v, schemaKey{Type: "<dictionary>", SubKeys: s.types[credentialType].PayloadKeys})
}

func checkValue(path string, v any, k schemaKey) []string {
	var out []string
	bad := func(format string, args ...any) []string {
		return append(out, path+": "+fmt.Sprintf(format, args...))
	}
	switch k.Type {
	case "<string>":
		s, ok := v.(string)
		if !ok {
			return bad("expected <string>, got %T", v)
		}
		if len(k.RangeList) > 0 && !slices.ContainsFunc(k.RangeList, func(r any) bool { return fmt.Sprint(r) == s }) {
			return bad("%q is not one of %v", s, k.RangeList)
		}
	case "<integer>":
		n, ok := v.(json.Number)
		if !ok || strings.ContainsAny(string(n), ".eE") {
			return bad("expected <integer>, got %v", v)
		}
	case "<boolean>":
		if _, ok := v.(bool); !ok {
			return bad("expected <boolean>, got %T", v)
		}
	case "<dictionary>":
		m, ok := v.(map[string]any)
		if !ok {
			return bad("expected <dictionary>, got %T", v)
		}
		if len(k.SubKeys) == 0 {
			return nil // free-form (the declaration base's Payload)
		}
		known := map[string]schemaKey{}
		for _, sub := range k.SubKeys {
			known[sub.Key] = sub
			if _, present := m[sub.Key]; !present && sub.Presence == "required" {
				out = append(out, join(path, sub.Key)+": required key missing")
			}
		}
		for key, val := range m {
			sub, ok := known[key]
			if !ok {
				out = append(out, join(path, key)+": unknown key")
				continue
			}
			out = append(out, checkValue(join(path, key), val, sub)...)
		}
	default:
		return bad("type %s is not checked here", k.Type)
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// assetReferences are the asset identifiers a payload refers to, with the
// asset types each may be, by the schema's assettypes.
func (s declarationSchemas) assetReferences(typ string, payload map[string]any) map[string][]string {
	refs := map[string][]string{}
	var walk func(m map[string]any, keys []schemaKey)
	walk = func(m map[string]any, keys []schemaKey) {
		for _, k := range keys {
			switch val := m[k.Key].(type) {
			case string:
				if len(k.AssetTypes) > 0 {
					refs[val] = k.AssetTypes
				}
			case map[string]any:
				walk(val, k.SubKeys)
			}
		}
	}
	walk(payload, s.types[typ].PayloadKeys)
	return refs
}
