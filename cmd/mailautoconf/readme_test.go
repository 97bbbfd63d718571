package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// The README is tried as a reader would: its configurations load, its
// commands use flags that exist, its links lead somewhere.

// fence is one fenced code block of a Markdown file.
type fence struct {
	lang, body string
	line       int
}

var fenceStart = regexp.MustCompile("^```([a-z]*)\\s*$")

func fences(t *testing.T, doc string) []fence {
	t.Helper()
	var out []fence
	var cur *fence
	var b strings.Builder
	for i, line := range strings.Split(doc, "\n") {
		if cur == nil {
			if m := fenceStart.FindStringSubmatch(line); m != nil {
				cur = &fence{lang: m[1], line: i + 1}
				b.Reset()
			}
			continue
		}
		if strings.TrimSpace(line) == "```" {
			cur.body = b.String()
			out = append(out, *cur)
			cur = nil
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	require.Nil(t, cur, "unclosed code block")
	return out
}

func readme(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testkit.ModuleRoot(t), "README.md"))
	require.NoError(t, err)
	return string(data)
}

func TestREADME_ConfigurationsPassCheck(t *testing.T) {
	n := 0
	for _, f := range fences(t, readme(t)) {
		if f.lang != "yaml" {
			continue
		}
		n++
		_, err := autoconfig.Parse("README.md block at line "+strconv.Itoa(f.line), []byte(f.body))
		assert.NoError(t, err, "the configuration at README.md line %d must pass `mailautoconf check`", f.line)
	}
	assert.NotZero(t, n, "the README shows configurations")
	_, err := autoconfig.LoadFile(testkit.Testdata(t, "config/example.yaml"))
	assert.NoError(t, err, "the annotated example the README points to passes check")
}

// commandLines are the mailautoconf invocations of the README's shell
// blocks and of its synopsis, continuation lines joined.
func commandLines(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, f := range fences(t, readme(t)) {
		if f.lang != "sh" && f.lang != "" {
			continue
		}
		body := strings.ReplaceAll(f.body, "\\\n", " ")
		var last string
		for _, line := range strings.Split(body, "\n") {
			trimmed := strings.TrimSpace(line)
			// The synopsis continues a command on indented lines.
			if f.lang == "" && last != "" && strings.HasPrefix(line, " ") && strings.HasPrefix(trimmed, "[") {
				out[len(out)-1] += " " + trimmed
				continue
			}
			last = ""
			if i := strings.Index(trimmed, "mailautoconf "); i >= 0 && !strings.HasPrefix(trimmed, ";") {
				rest := trimmed[i+len("mailautoconf "):]
				if c := strings.Index(rest, " #"); c >= 0 {
					rest = rest[:c]
				}
				out = append(out, rest)
				last = rest
			}
		}
	}
	return out
}

var flagToken = regexp.MustCompile(`--([a-z][a-z0-9-]*)`)

// flagsOf lists the flags of a command (and subcommand) as its --help
// prints them.
func flagsOf(t *testing.T, words ...string) map[string]bool {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(append(words, "--help"), &stdout, &stderr)
	require.Equal(t, 0, code, "mailautoconf %s --help: %s", strings.Join(words, " "), stderr.String())
	flags := map[string]bool{"help": true}
	for _, m := range regexp.MustCompile(`(?m)^\s+-([a-z][a-z0-9-]*)`).FindAllStringSubmatch(stderr.String(), -1) {
		flags[m[1]] = true
	}
	return flags
}

func TestREADME_CommandsUseFlagsThatExist(t *testing.T) {
	lines := commandLines(t)
	require.NotEmpty(t, lines)
	checked := 0
	for _, line := range lines {
		words := strings.Fields(line)
		if len(words) == 0 {
			continue
		}
		cmd := []string{words[0]}
		if _, ok := find(commands, cmd[0]); !ok {
			if !regexp.MustCompile(`^[a-z]+$`).MatchString(cmd[0]) {
				continue // a path (go build -o mailautoconf ./cmd/…) or a placeholder
			}
			t.Errorf("README: unknown command in %q", line)
			continue
		}
		if (cmd[0] == "generate" || cmd[0] == "certs") && len(words) > 1 {
			cmd = append(cmd, words[1])
		}
		flags := flagsOf(t, cmd...)
		for _, m := range flagToken.FindAllStringSubmatch(line, -1) {
			if strings.HasSuffix(m[1], "-") {
				continue // a family of flags, such as --acme-*
			}
			assert.True(t, flags[m[1]], "README: mailautoconf %s has no flag --%s (in %q)", strings.Join(cmd, " "), m[1], line)
		}
		checked++
	}
	assert.Greater(t, checked, 10)
}

var (
	headingLine = regexp.MustCompile(`(?m)^#{1,6} (.+)$`)
	link        = regexp.MustCompile(`\]\(([^)\s]+)\)`)
)

// slug is the anchor a code host gives a heading: lower case, punctuation
// other than hyphens and underscores dropped, spaces as hyphens.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestREADME_LinksResolve(t *testing.T) {
	doc := readme(t)
	// Headings inside code blocks are not headings.
	text := doc
	for _, f := range fences(t, doc) {
		text = strings.Replace(text, f.body, "", 1)
	}
	anchors := map[string]bool{}
	for _, m := range headingLine.FindAllStringSubmatch(text, -1) {
		s := slug(m[1])
		for n, a := 1, s; ; n++ {
			if !anchors[a] {
				anchors[a] = true
				break
			}
			a = s + "-" + strconv.Itoa(n)
		}
	}
	root := testkit.ModuleRoot(t)
	for _, m := range link.FindAllStringSubmatch(text, -1) {
		target := m[1]
		switch {
		case strings.HasPrefix(target, "#"):
			assert.True(t, anchors[target[1:]], "README links to a section that does not exist: %s", target)
		case strings.Contains(target, "://"), strings.HasPrefix(target, "mailto:"):
		default:
			path, _, _ := strings.Cut(target, "#")
			_, err := os.Stat(filepath.Join(root, filepath.FromSlash(path)))
			assert.NoError(t, err, "README links to a file that does not exist: %s", target)
		}
	}
}
