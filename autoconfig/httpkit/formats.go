package httpkit

import "sync"

// Formats names the document format each route serves, for the metrics'
// format label. Each package declares its routes' format as it registers
// them, so the server classifies no path itself.
type Formats struct {
	mu     sync.RWMutex
	routes map[string]string
}

// Format labels of requests no package declared; each package that
// registers routes owns its own label (its MetricsFormat).
const (
	FormatOther = "other"
	FormatNone  = "none"
)

// Declare records that route (a gin route pattern) serves format.
func (f *Formats) Declare(format string, routes ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.routes == nil {
		f.routes = make(map[string]string)
	}
	for _, r := range routes {
		f.routes[r] = format
	}
}

// Of is the format of route: FormatNone for requests that matched no route
// (""), FormatOther for a route nobody declared.
func (f *Formats) Of(route string) string {
	if route == "" {
		return FormatNone
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	if format, ok := f.routes[route]; ok {
		return format
	}
	return FormatOther
}
