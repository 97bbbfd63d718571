package main

import (
	"flag"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParseInterspersed holds the one parser that dns, check and certs
// share: flags anywhere among the positional arguments, and "--" ending
// the flags.
func TestParseInterspersed(t *testing.T) {
	tests := []struct {
		name           string
		args           []string
		wantPositional []string
		wantFormat     string
		wantAll        bool
	}{
		{"flags first", []string{"--format", "json", "a.example"}, []string{"a.example"}, "json", false},
		{"flags last", []string{"a.example", "--format", "json"}, []string{"a.example"}, "json", false},
		{"flags between", []string{"a.example", "--all", "b.example", "--format=json"}, []string{"a.example", "b.example"}, "json", true},
		{"no positional", []string{"--all"}, nil, "zone", true},
		{"dashes end the flags", []string{"a.example", "--", "--all", "-b"}, []string{"a.example", "--all", "-b"}, "zone", false},
		{"dashes first", []string{"--", "-a.example"}, []string{"-a.example"}, "zone", false},
		{"flag after dashes' positional is positional", []string{"--all", "--", "x", "--format", "json"}, []string{"x", "--format", "json"}, "zone", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			format := fs.String("format", "zone", "")
			all := fs.Bool("all", false, "")
			positional, err := parseInterspersed(fs, tt.args)
			require.NoError(t, err)
			assert.Equal(t, tt.wantPositional, positional)
			assert.Equal(t, tt.wantFormat, *format)
			assert.Equal(t, tt.wantAll, *all)
		})
	}
}

func TestParseInterspersed_UnknownFlagIsUsage(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	_, err := parseInterspersed(fs, []string{"a.example", "--nope"})
	assert.ErrorIs(t, err, errUsage)
	_, err = parseInterspersed(fs, []string{"--help"})
	assert.ErrorIs(t, err, flag.ErrHelp)
}
