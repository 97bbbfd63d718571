package wizard

import (
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/templates"
)

// asset is one embedded static file, ready to serve.
type asset struct {
	doc         httpkit.Document
	contentType []string
}

// loadAssets reads templates/static/ once. Requests are answered from this
// map by exact name, so no request path ever reaches a file system: path
// traversal has nothing to traverse.
func loadAssets() (map[string]asset, error) {
	entries, err := fs.ReadDir(templates.FS, "static")
	if err != nil {
		return nil, fmt.Errorf("reading static assets: %w", err)
	}
	assets := map[string]asset{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		body, err := templates.FS.ReadFile("static/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("reading static asset %s: %w", e.Name(), err)
		}
		ctype := mime.TypeByExtension(path.Ext(e.Name()))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		if strings.HasPrefix(ctype, "text/") && !strings.Contains(ctype, "charset") {
			ctype += "; charset=utf-8"
		}
		assets[e.Name()] = asset{doc: httpkit.NewDocument(body), contentType: []string{ctype}}
	}
	return assets, nil
}

// static serves /static/NAME from the embedded assets.
func (w *Wizard) static(c *gin.Context) {
	if w.siteFile(c, c.Param("file")) {
		return
	}
	a, ok := w.assets[c.Param("file")]
	if !ok {
		httpkit.WriteText(c, http.StatusNotFound, "not found")
		return
	}
	c.Header("Cache-Control", "public, max-age=86400")
	a.doc.Serve(c.Writer, c.Request, a.contentType)
}
