package testkit

import (
	"sync"
	"testing"

	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
)

// SaturateRenders spends the render budget until the test ends: one slot,
// taken by a render that waits, and no queue, so that every other render
// is refused at once with httpkit.ErrBusy. release frees the slot early.
func SaturateRenders(t testing.TB) (release func()) {
	t.Helper()
	old := httpkit.DefaultRenderBudget()
	httpkit.SetRenderBudget(httpkit.RenderBudget{Slots: 1})
	started, done := make(chan struct{}), make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(done) }) }
	go func() {
		_, _ = httpkit.LimitCPU(func() ([]byte, error) { close(started); <-done; return nil, nil })
	}()
	<-started
	t.Cleanup(func() {
		release()
		httpkit.SetRenderBudget(old)
	})
	return release
}
