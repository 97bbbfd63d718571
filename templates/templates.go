// Package templates holds the setup wizard's HTML templates, message
// catalogs and static assets, embedded in the binary so that the service
// needs no files at run time and pages never load anything from elsewhere.
package templates

import "embed"

// FS holds:
//   - *.html: html/template files; layout.html and partials.html are
//     parsed with every page;
//   - i18n/<lang>.json: one flat message catalog per language;
//   - static/: CSS and images, served under /static/.
//
//go:embed *.html i18n/*.json static
var FS embed.FS
