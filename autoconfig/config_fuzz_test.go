package autoconfig_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/mailautoconf/mailautoconf/autoconfig"

	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// FuzzParseConfig checks that any file is either refused with located
// problems or loaded into a configuration whose invariants hold.
func FuzzParseConfig(f *testing.F) {
	for _, seed := range testkit.FuzzSeeds(f, "FuzzParseConfig") {
		f.Add([]byte(seed[0]))
	}
	f.Add(autoconfig.DefaultYAML())
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := autoconfig.Parse("fuzz.yaml", data)
		if err != nil {
			var problems autoconfig.ConfigErrors
			if !errors.As(err, &problems) || len(problems) == 0 {
				t.Fatalf("error is not a list of located problems: %T %v", err, err)
			}
			for _, p := range problems {
				if p.File != "fuzz.yaml" || p.Msg == "" {
					t.Fatalf("problem without file or message: %+v", p)
				}
			}
			return
		}
		if len(cfg.Providers) == 0 {
			t.Fatal("loaded without providers")
		}
		for _, p := range cfg.Providers {
			if len(p.Incoming) == 0 || len(p.Outgoing) == 0 {
				t.Fatalf("provider %s loaded without servers", p.ID)
			}
			for _, s := range slices.Concat(p.Incoming, p.Outgoing) {
				if s.Port < 1 || s.Port > 65535 || s.Host == "" {
					t.Fatalf("server loaded out of limits: %+v", s)
				}
			}
			for _, d := range p.Domains {
				if strings.HasPrefix(d, "*.") {
					continue
				}
				if got, err := cfg.Lookup(d); err != nil || got != p {
					t.Fatalf("domain %s of %s resolves to %v, %v", d, p.ID, got, err)
				}
			}
		}
	})
}
