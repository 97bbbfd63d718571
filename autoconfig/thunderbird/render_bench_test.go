package thunderbird_test

import (
	"testing"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/thunderbird"
)

// BenchmarkRender is the renderer alone, without HTTP: what a cache miss
// costs, resolution of the domain included.
func BenchmarkRender(b *testing.B) {
	p := autoconfig.Default().CatchAll
	b.ReportAllocs()
	for b.Loop() {
		thunderbird.Render(autoconfig.NewDomain(p, "example.ch"))
	}
}
