package autoconfig

import (
	"bytes"
	"cmp"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"

	"go.yaml.in/yaml/v3"
)

// defaultYAML is the reference provider of the seed document, served for any
// domain when no configuration file is given.
//
//go:embed default.yaml
var defaultYAML []byte

// DefaultConfigName is how the embedded default names itself in messages.
const DefaultConfigName = "(embedded default)"

// Config is a loaded, validated configuration: the providers and the index
// that finds a provider for a domain.
type Config struct {
	Source    string // file name, or DefaultConfigName
	Providers []*Provider
	// CatchAll, when set, serves every domain that no provider lists.
	CatchAll *Provider
	// ServiceHost is the host name of this service that customer domains
	// point their autoconfig/autodiscover/ua-auto-config CNAMEs at ("" when
	// the file sets none).
	ServiceHost string
	// Warnings are what the file says that works but that some clients
	// refuse: `check --config` prints them.
	Warnings ConfigErrors
	// Site is the wizard's name, logo and accent colour.
	Site Site

	// loaded orders configurations by when they were parsed, so that a
	// cache can tell the one a reload put in force from the one it replaced.
	loaded uint64

	exact    map[string]*Provider // ASCII domain → provider
	wildcard map[string]*Provider // suffix of "*.suffix" → provider
	acceptMX map[string]*Provider // MX host (ASCII, no trailing dot) → provider
}

// loads numbers the configurations parsed by this process.
var loads atomic.Uint64

// Default returns the embedded default configuration.
func Default() *Config {
	c, err := Parse(DefaultConfigName, defaultYAML)
	if err != nil {
		panic("embedded default configuration is invalid: " + err.Error())
	}
	return c
}

// DefaultYAML returns the embedded default configuration file.
func DefaultYAML() []byte { return bytes.Clone(defaultYAML) }

// LoadFile reads and validates a configuration file.
func LoadFile(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading configuration: %w", err)
	}
	return Parse(path, data)
}

// Lookup finds the provider serving an ASCII, lower-case domain. Its cost
// depends on the number of labels in the domain, not on the number of
// configured domains.
func (c *Config) Lookup(domain string) (*Provider, error) {
	if p, ok := c.exact[domain]; ok {
		return p, nil
	}
	for rest := domain; ; {
		dot := strings.IndexByte(rest, '.')
		if dot < 0 {
			break
		}
		rest = rest[dot+1:]
		if p, ok := c.wildcard[rest]; ok {
			return p, nil
		}
	}
	if c.CatchAll != nil {
		return c.CatchAll, nil
	}
	return nil, &DomainError{Domain: domain}
}

// AcceptsMX reports whether some provider accepts domains by their MX, so
// that an unlisted domain is worth an MX lookup.
func (c *Config) AcceptsMX() bool { return len(c.acceptMX) > 0 }

// ProviderForMX returns the provider accepting the domain whose MX records
// are mxs, or nil. Only the most preferred MX hosts count: a provider that
// is merely a backup MX does not host the domain's mailboxes.
func (c *Config) ProviderForMX(mxs []MXHost) *Provider {
	best := -1
	for _, mx := range mxs {
		if best < 0 || mx.Priority < best {
			best = mx.Priority
		}
	}
	for _, mx := range mxs {
		if mx.Priority != best {
			continue
		}
		if p, ok := c.acceptMX[strings.ToLower(strings.TrimSuffix(mx.Host, "."))]; ok {
			return p
		}
	}
	return nil
}

// LoadedAfter reports whether c was parsed after other: of two
// configurations, the later one is the one a reload put in force.
func (c *Config) LoadedAfter(other *Config) bool { return c.loaded > other.loaded }

// ConfigError is one problem in a configuration file, with its place.
type ConfigError struct {
	File  string
	Line  int
	Field string // dotted path, e.g. providers[0].incoming[1].port
	Msg   string
}

func (e ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ConfigErrors is every problem found in one file, in file order.
type ConfigErrors []ConfigError

func (es ConfigErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Parse validates a configuration file's contents. name is used in messages.
// Every problem is reported at once, in line order: unknown keys, values of
// the wrong type and invalid values, each with its line and field path.
func Parse(name string, data []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlErrors(name, err, nil)
	}
	if root.Kind == 0 || (root.Kind == yaml.DocumentNode && len(root.Content) == 0) {
		return nil, ConfigErrors{{File: name, Msg: "the file is empty: it needs at least one provider"}}
	}
	fields := fieldWalker{file: name, lines: make(map[int]string)}
	fields.walk(&root, reflect.TypeFor[rawConfig](), "")
	var raw rawConfig
	// Unknown keys are found by the walk (with their path); the decoder
	// reports values of the wrong type and goes on with the rest.
	typeErrs := yamlErrors(name, root.Decode(&raw), fields.lines)
	recordLines(&root, &raw)
	v := validator{file: name}
	cfg := v.config(&raw)
	problems := slices.Concat(fields.unknown, typeErrs, withoutLines(v.errs, typeErrs))
	if len(problems) > 0 {
		slices.SortStableFunc(problems, func(a, b ConfigError) int { return cmp.Compare(a.Line, b.Line) })
		return nil, problems
	}
	cfg.Warnings = v.warnings
	cfg.loaded = loads.Add(1)
	return cfg, nil
}

// withoutLines drops the problems on the lines of others: a value of the
// wrong type is read as its zero value, whose validation would only repeat
// the type error in other words.
func withoutLines(problems, others ConfigErrors) ConfigErrors {
	var out ConfigErrors
	for _, p := range problems {
		if !slices.ContainsFunc(others, func(o ConfigError) bool { return o.Line == p.Line && p.Line > 0 }) {
			out = append(out, p)
		}
	}
	return out
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// parserProblems are the messages of yaml.v3's parser (not its scanner).
// yaml.v3 reports their 0-based line as it is (its parser.fail adds 1 for
// scanner errors only), so they would point a line early.
var parserProblems = []string{
	"did not find expected <document start>",
	"did not find expected node content",
	"did not find expected key",
	"did not find expected '-' indicator",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
}

// yamlErrors turns the YAML library's messages into file:line messages,
// naming the field of the line from fieldAt when known (nil: none).
func yamlErrors(name string, err error, fieldAt map[int]string) ConfigErrors {
	if err == nil {
		return nil
	}
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var out ConfigErrors
	for _, m := range msgs {
		e := ConfigError{File: name, Msg: strings.TrimPrefix(m, "yaml: ")}
		if g := yamlLine.FindStringSubmatch(m); g != nil {
			fmt.Sscan(g[1], &e.Line)
			e.Msg = g[2]
			if slices.Contains(parserProblems, e.Msg) {
				e.Line++
			}
		}
		e.Field = fieldAt[e.Line]
		e.Msg = strings.ReplaceAll(e.Msg, "!!str", "text")
		out = append(out, e)
	}
	return out
}
