// Package reload re-reads the configuration and the TLS certificate on
// SIGHUP, a change of the configuration file or an authenticated POST, and
// puts them in force only when both are valid: a broken file never
// replaces a working configuration.
package reload

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/certs"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/filewatch"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/metrics"
)

// Reloader puts a freshly read configuration in force.
type Reloader struct {
	// Load reads and validates the configuration (the file given with
	// --config, or the embedded default).
	Load    func() (*autoconfig.Config, error)
	Store   *autoconfig.Store
	Certs   *certs.File // nil when the service reads no certificate files
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	// OnSwap, when set, is called with each configuration put in force
	// (e.g. to order certificates for newly listed domains).
	OnSwap func(*autoconfig.Config)

	mu sync.Mutex // one reload at a time
}

// Reload reads the configuration and the certificate, validates both, and
// swaps them in. On any error nothing changes: the previous configuration
// and certificate keep serving, and requests in flight finish on the
// configuration they started with (autoconfig.Store). Errors are logged
// with file and line and counted.
func (r *Reloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	cfg, err := r.Load()
	if err != nil {
		return r.failed("configuration", err)
	}
	// The certificate is read last, and only takes effect when valid, so
	// that a failure leaves both as they were.
	if r.Certs != nil {
		if err := r.Certs.Reload(); err != nil {
			return r.failed("certificate", err)
		}
		r.Certs.LogWarning(r.Logger, time.Now())
	}
	r.Store.Swap(cfg)
	r.Metrics.ReloadSucceeded(time.Now())
	if r.OnSwap != nil {
		r.OnSwap(cfg)
	}
	domains := 0
	for _, p := range cfg.Providers {
		domains += len(p.Domains)
	}
	r.Logger.Info("configuration reloaded", "config", cfg.Source, "providers", len(cfg.Providers), "domains", domains)
	return nil
}

// failed logs each problem on its own line, with file and line as
// attributes, and counts the failure.
func (r *Reloader) failed(what string, err error) error {
	r.Metrics.ReloadFailed()
	var problems autoconfig.ConfigErrors
	if errors.As(err, &problems) {
		for _, p := range problems {
			r.Logger.Error("reload refused: the previous configuration stays in force",
				"file", p.File, "line", p.Line, "field", p.Field, "problem", p.Msg)
		}
	} else {
		r.Logger.Error("reload refused: the previous configuration stays in force", "reading", what, "error", err.Error())
	}
	return fmt.Errorf("reload refused, previous %s kept: %w", what, err)
}

// Watch reloads at each value received from signals until ctx ends. The
// caller connects signals to SIGHUP with signal.Notify; tests send on it.
func (r *Reloader) Watch(ctx context.Context, signals <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case sig := <-signals:
			r.Logger.Info("reloading", "signal", sig.String())
			_ = r.Reload() // logged and counted by Reload
		}
	}
}

// WatchFile reloads each time the file at path changes, one edit one
// reload (filewatch): the same validation and refusal as SIGHUP.
func (r *Reloader) WatchFile(ctx context.Context, path string, debounce time.Duration) error {
	return filewatch.Watch(ctx, path, debounce, func() {
		r.Logger.Info("reloading", "trigger", "configuration file changed", "config", path)
		_ = r.Reload() // logged and counted by Reload
	})
}

// AdminPath is the route of the authenticated reload endpoint.
const AdminPath = "/admin/reload"

// AdminHandler answers POST /admin/reload for a client that sends
// "Authorization: Bearer <token>": 200 when the reload took effect, 422 with
// the problems when it was refused, 401 without the right token.
func (r *Reloader) AdminHandler(token string) gin.HandlerFunc {
	// Comparing digests keeps the comparison constant-time whatever the
	// length of the presented token.
	want := sha256.Sum256([]byte(token))
	return func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		got, ok := bearer(c.GetHeader("Authorization"))
		gotSum := sha256.Sum256([]byte(got))
		if !ok || subtle.ConstantTimeCompare(gotSum[:], want[:]) != 1 {
			c.Header("WWW-Authenticate", `Bearer realm="mailautoconf admin"`)
			httpkit.WriteText(c, http.StatusUnauthorized, "unauthorized: send Authorization: Bearer <admin token>")
			return
		}
		if err := r.Reload(); err != nil {
			httpkit.WriteText(c, http.StatusUnprocessableEntity, err.Error())
			return
		}
		httpkit.WriteText(c, http.StatusOK, "reloaded")
	}
}

func bearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
