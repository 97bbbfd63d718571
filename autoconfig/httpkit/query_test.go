package httpkit

import (
	"net/url"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestQueryValue(t *testing.T) {
	for _, tc := range []struct {
		raw, key, want string
		found          bool
	}{
		{"emailaddress=jane%40example.ch", "emailaddress", "jane@example.ch", true},
		{"emailaddress=jane@example.ch", "emailaddress", "jane@example.ch", true},
		{"a=1&emailaddress=x@y.ch&emailaddress=second@y.ch", "emailaddress", "x@y.ch", true},
		{"email%61ddress=escaped@key.ch", "emailaddress", "escaped@key.ch", true},
		{"name=Jane+Doe", "name", "Jane Doe", true},
		{"emailaddress", "emailaddress", "", true},
		{"emailaddress=", "emailaddress", "", true},
		{"Emailaddress=x@y.ch", "emailaddress", "", false},
		{"emailaddress=%zz&emailaddress=good@y.ch", "emailaddress", "good@y.ch", true},
		{"emailaddress=a@b.ch;x=1&emailaddress=c@d.ch", "emailaddress", "c@d.ch", true},
		{"&&emailaddress=a@b.ch", "emailaddress", "a@b.ch", true},
		{"", "emailaddress", "", false},
	} {
		got, found := QueryValue(tc.raw, tc.key)
		assert.Equal(t, tc.want, got, tc.raw)
		assert.Equal(t, tc.found, found, tc.raw)
		agreesWithParseQuery(t, tc.raw, tc.key)
	}
}

func TestQueryValue_AllocatesNothingForPlainValues(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		QueryValue("client=apple-ios&emailaddress=jane.doe@example.ch", "emailaddress")
	})
	assert.Zero(t, allocs)
}

func FuzzQueryValue(f *testing.F) {
	for _, s := range []string{"emailaddress=a%40b.ch", "a=1&a=2", "k%3D=v", "x=%zz&x=y", "a;b=c&a=d", "+=+&%20=%20"} {
		f.Add(s, "emailaddress")
		f.Add(s, "a")
	}
	f.Fuzz(func(t *testing.T, raw, key string) {
		agreesWithParseQuery(t, raw, key)
	})
}

func agreesWithParseQuery(t *testing.T, raw, key string) {
	t.Helper()
	values, _ := url.ParseQuery(raw)
	want, wantFound := values[key]
	got, found := QueryValue(raw, key)
	if assert.Equal(t, wantFound, found, "presence of %q in %q", key, raw) && found {
		assert.Equal(t, want[0], got, "value of %q in %q", key, raw)
	}
	assert.Equal(t, want, slices.Collect(QueryValues(raw, key)), "values of %q in %q", key, raw)
}
