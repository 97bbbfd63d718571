package httpkit

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withRenderBudget sets b for one test.
func withRenderBudget(t *testing.T, b RenderBudget) {
	old := renders.Load().RenderBudget
	SetRenderBudget(b)
	t.Cleanup(func() { SetRenderBudget(old) })
}

func TestLimitCPU_RunsAtMostSlotsAtOnce(t *testing.T) {
	withRenderBudget(t, RenderBudget{Slots: 2, Queue: 100, Wait: 10 * time.Second})
	var running, most atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			_, err := LimitCPU(func() ([]byte, error) {
				n := running.Add(1)
				for {
					m := most.Load()
					if n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
				<-release
				running.Add(-1)
				return nil, nil
			})
			assert.NoError(t, err)
		})
	}
	// Every render holds its slot until released: two run, the others
	// wait in the queue.
	require.Eventually(t, func() bool { return running.Load() == 2 && len(renders.Load().queue) == 18 },
		5*time.Second, time.Millisecond)
	assert.Equal(t, int32(2), most.Load())
	close(release)
	wg.Wait()
	assert.Equal(t, int32(2), most.Load())
}

// Past the slots and the queue, a render is refused at once; a queued one
// is refused when no slot frees up within the wait.
func TestLimitCPU_RefusesPastTheBudgetWithoutWaiting(t *testing.T) {
	withRenderBudget(t, RenderBudget{Slots: 1, Queue: 1, Wait: 200 * time.Millisecond})
	release := make(chan struct{})
	started := make(chan struct{})
	go LimitCPU(func() ([]byte, error) { close(started); <-release; return nil, nil })
	<-started

	queued := make(chan error)
	go func() {
		_, err := LimitCPU(func() ([]byte, error) { return nil, nil })
		queued <- err
	}()
	require.Eventually(t, func() bool { return len(renders.Load().queue) == 1 }, time.Second, time.Millisecond)

	start := time.Now()
	_, err := LimitCPU(func() ([]byte, error) { t.Error("rendered past the budget"); return nil, nil })
	assert.ErrorIs(t, err, ErrBusy)
	assert.Less(t, time.Since(start), 50*time.Millisecond, "refused at once when the queue is full")

	assert.ErrorIs(t, <-queued, ErrBusy, "no slot within the wait")
	close(release)
	require.Eventually(t, func() bool {
		_, err := LimitCPU(func() ([]byte, error) { return []byte("ok"), nil })
		return err == nil
	}, time.Second, time.Millisecond, "served again once the slot is free")
}

func TestLimitCPU_QueuedRenderGetsAFreedSlot(t *testing.T) {
	withRenderBudget(t, RenderBudget{Slots: 1, Queue: 1, Wait: 5 * time.Second})
	release := make(chan struct{})
	started := make(chan struct{})
	go LimitCPU(func() ([]byte, error) { close(started); <-release; return nil, nil })
	<-started
	done := make(chan error)
	go func() {
		_, err := LimitCPU(func() ([]byte, error) { return nil, nil })
		done <- err
	}()
	require.Eventually(t, func() bool { return len(renders.Load().queue) == 1 }, time.Second, time.Millisecond)
	close(release)
	assert.NoError(t, <-done)
}

func TestWriteError_BusyIs503WithRetryAfterAndNotLogged(t *testing.T) {
	gin.SetMode(gin.TestMode)
	w := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(w)
	c.Request = httptest.NewRequest(http.MethodGet, "/qr.png", nil)
	WriteError(c, nil, ErrBusy)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, "1", w.Header().Get("Retry-After"))
	assert.Equal(t, "the service is busy: try again in a moment\n", w.Body.String())
	assert.Equal(t, http.StatusServiceUnavailable, Status(errors.Join(ErrBusy)))
}

func TestRenderSaturated_OnlyWhenSlotsAndQueueAreTaken(t *testing.T) {
	withRenderBudget(t, RenderBudget{Slots: 1})
	assert.False(t, RenderSaturated())
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	go func() {
		_, _ = LimitCPU(func() ([]byte, error) { close(started); <-release; return nil, nil })
		close(done)
	}()
	<-started
	assert.True(t, RenderSaturated())
	close(release)
	<-done
	assert.False(t, RenderSaturated())
}
