package httpkit

import "runtime"

// renderSlots admits one CPU-bound render per core.
var renderSlots = make(chan struct{}, runtime.GOMAXPROCS(0))

// LimitCPU runs render with at most GOMAXPROCS renders at once. Drawing a
// QR code or signing a profile only uses the CPU, so more at once cannot
// finish sooner; but each render in flight holds its working memory (half a
// megabyte for a QR code), and a burst of 256 requests must not hold 256.
// render must not wait on the network.
func LimitCPU(render func() ([]byte, error)) ([]byte, error) {
	renderSlots <- struct{}{}
	defer func() { <-renderSlots }()
	return render()
}
