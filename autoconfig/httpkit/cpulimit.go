package httpkit

import (
	"runtime"
	"sync/atomic"
	"time"
)

// RenderBudget is the global budget of CPU-bound renders (QR codes, signed
// profiles), on top of the per-client rate limit: many clients together
// must not take the CPU that ordinary autoconfig requests need.
type RenderBudget struct {
	// Slots is the number of renders at once. Half the cores by default:
	// the other half keeps answering cached documents in a millisecond
	// while renders queue.
	Slots int
	// Queue is the number of renders that may wait for a slot, each for at
	// most Wait; past it a render is refused at once with ErrBusy (503 and
	// Retry-After), never queued without bound.
	Queue int
	Wait  time.Duration
}

// DefaultRenderBudget is sized from the CPU count.
func DefaultRenderBudget() RenderBudget {
	slots := max(1, runtime.GOMAXPROCS(0)/2)
	return RenderBudget{Slots: slots, Queue: 8 * slots, Wait: 250 * time.Millisecond}
}

type renderGate struct {
	RenderBudget
	slots, queue chan struct{}
}

var renders atomic.Pointer[renderGate]

func init() { SetRenderBudget(DefaultRenderBudget()) }

// SetRenderBudget replaces the render budget (at start-up: renders in
// flight finish under the old one).
func SetRenderBudget(b RenderBudget) {
	b.Slots = max(1, b.Slots)
	b.Queue = max(0, b.Queue)
	renders.Store(&renderGate{RenderBudget: b, slots: make(chan struct{}, b.Slots), queue: make(chan struct{}, max(1, b.Queue))})
}

// LimitCPU runs render within the render budget, or answers ErrBusy when
// the budget is spent: all slots taken and the queue full, or no slot free
// within the wait. Drawing a QR code or signing a profile only uses the
// CPU, so more at once cannot finish sooner; each render in flight also
// holds its working memory (half a megabyte for a QR code). render must not
// wait on the network.
func LimitCPU(render func() ([]byte, error)) ([]byte, error) {
	g := renders.Load()
	select {
	case g.slots <- struct{}{}:
	default:
		if !g.await() {
			return nil, ErrBusy
		}
	}
	defer func() { <-g.slots }()
	return render()
}

// RenderSaturated reports whether a render would now be refused without
// waiting: every slot and every place in the queue taken. A handler with
// work to do before its render (resolving an account, building a page's
// views) asks first, so that a flood is refused before that work too; the
// render itself still goes through LimitCPU.
func RenderSaturated() bool {
	g := renders.Load()
	return len(g.slots) == cap(g.slots) && len(g.queue) >= g.Queue
}

// await takes a place in the queue, then waits for a slot at most g.Wait.
func (g *renderGate) await() bool {
	if g.Queue == 0 {
		return false
	}
	select {
	case g.queue <- struct{}{}:
	default:
		return false
	}
	defer func() { <-g.queue }()
	t := time.NewTimer(g.Wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return true
	case <-t.C:
		return false
	}
}

// ErrBusy refuses a request because a global budget is spent: 503 with
// Retry-After (RFC 9110 §15.6.4), not logged as an internal error.
var ErrBusy error = busyError{}

// BusyRetryAfter is the Retry-After of ErrBusy, in seconds.
const BusyRetryAfter = "1"

type busyError struct{}

func (busyError) Error() string   { return "the service is busy: try again in a moment" }
func (busyError) HTTPStatus() int { return 503 }
