package autoconfig

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Site is how the wizard presents itself: the operator's name, logo and
// colour instead of the generic ones.
type Site struct {
	Name string // page title and header; "" for the translated default
	Logo *Logo  // nil for the built-in icon
	// AccentColor is "#rrggbb" (links, buttons), "" for the default; its
	// contrast against white is at least 4.5:1 (WCAG AA).
	AccentColor string
	// Support is the service's own contact, shown on pages without a
	// provider (the start page, an unserved domain) and beside a provider
	// that has none; empty when not configured.
	Support Support
	// SuggestDomains are domains the service does not serve that a
	// mistyped address may have meant (e.g. a big mail service's), in
	// ASCII: "did you mean" offers them beside the served domains.
	SuggestDomains []string
}

// Logo is an image file read when the configuration is loaded, so that a
// reload picks up a new one and no request reads a file.
type Logo struct {
	Data        []byte
	ContentType string // image/svg+xml or image/png
	Ext         string // ".svg" or ".png"
	// Sum is a hash of Data (hex): its version in URLs and ETags.
	Sum string
}

type rawSite struct {
	Name           pos[string]   `yaml:"name"`
	Logo           pos[string]   `yaml:"logo"`
	AccentColor    pos[string]   `yaml:"accent_color"`
	Support        rawSupport    `yaml:"support"`
	SuggestDomains []pos[string] `yaml:"suggest_domains"`
}

const (
	maxSiteNameLength = 60
	// maxLogoSize bounds the logo: it is held in memory and sent with pages.
	maxLogoSize = 256 << 10
	// minAccentContrast is WCAG 2's AA level for text: the accent colours
	// links on white and is the background of white button text.
	minAccentContrast = 4.5
)

func (v *validator) site(cfg *Config, raw rawSite) {
	name := strings.TrimSpace(raw.Name.Value)
	switch {
	case len([]rune(name)) > maxSiteNameLength:
		v.add(raw.Name.Line, "site.name", "must be at most %d characters", maxSiteNameLength)
	case hasControl(name):
		v.add(raw.Name.Line, "site.name", "contains a control character")
	default:
		cfg.Site.Name = name
	}
	if c := strings.TrimSpace(raw.AccentColor.Value); c != "" {
		hex, err := parseHexColor(c)
		switch {
		case err != nil:
			v.add(raw.AccentColor.Line, "site.accent_color", "%v", err)
		case contrastOnWhite(hex) < minAccentContrast:
			v.add(raw.AccentColor.Line, "site.accent_color", "%s has a contrast of %.1f:1 on white; links and buttons need at least %.1f:1 (choose a darker colour)",
				c, contrastOnWhite(hex), minAccentContrast)
		default:
			cfg.Site.AccentColor = hex
		}
	}
	cfg.Site.Support = v.support(raw.Support, "site.support")
	for _, d := range raw.SuggestDomains {
		ascii, err := NormalizeDomain(strings.TrimSpace(d.Value))
		if err != nil {
			v.add(d.Line, "site.suggest_domains", "%v", err)
			continue
		}
		cfg.Site.SuggestDomains = append(cfg.Site.SuggestDomains, ascii)
	}
	if file := strings.TrimSpace(raw.Logo.Value); file != "" {
		logo, err := readLogo(v.file, file)
		if err != nil {
			v.add(raw.Logo.Line, "site.logo", "%v", err)
		} else {
			cfg.Site.Logo = logo
		}
	}
}

// readLogo reads the logo, relative to the configuration file's folder.
func readLogo(configFile, file string) (*Logo, error) {
	ext := strings.ToLower(filepath.Ext(file))
	types := map[string]string{".svg": "image/svg+xml", ".png": "image/png"}
	ctype, ok := types[ext]
	if !ok {
		return nil, fmt.Errorf("must be an .svg or .png file")
	}
	path := file
	if !filepath.IsAbs(path) && configFile != DefaultConfigName {
		path = filepath.Join(filepath.Dir(configFile), file)
	}
	// Stat first: a device or FIFO named here must not hang the load.
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if st.Size() > maxLogoSize {
		return nil, fmt.Errorf("%s is larger than %d KB", path, maxLogoSize>>10)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxLogoSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(data) > maxLogoSize {
		return nil, fmt.Errorf("%s is larger than %d KB", path, maxLogoSize>>10)
	}
	// The content must match the name: the file is served with this type.
	pngMagic := []byte("\x89PNG\r\n\x1a\n")
	if ext == ".png" && !bytes.HasPrefix(data, pngMagic) || ext == ".svg" && !bytes.Contains(data, []byte("<svg")) {
		return nil, fmt.Errorf("%s is not a %s image", path, strings.TrimPrefix(ext, "."))
	}
	sum := sha256.Sum256(data)
	return &Logo{Data: data, ContentType: ctype, Ext: ext, Sum: hex.EncodeToString(sum[:8])}, nil
}

// parseHexColor accepts #rgb and #rrggbb and returns #rrggbb in lower case.
func parseHexColor(s string) (string, error) {
	h, ok := strings.CutPrefix(strings.ToLower(s), "#")
	if ok && len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	if _, err := strconv.ParseUint(h, 16, 32); !ok || len(h) != 6 || err != nil {
		return "", fmt.Errorf("must be a colour as #rrggbb or #rgb, e.g. #0b5cad")
	}
	return "#" + h, nil
}

// contrastOnWhite is the WCAG 2 contrast ratio of #rrggbb against white.
func contrastOnWhite(hex string) float64 {
	return 1.05 / (relativeLuminance(hex) + 0.05)
}

// relativeLuminance is WCAG 2's relative luminance of #rrggbb.
func relativeLuminance(hex string) float64 {
	n, _ := strconv.ParseUint(hex[1:], 16, 32)
	lin := func(c uint64) float64 {
		s := float64(c) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(n>>16&0xff) + 0.7152*lin(n>>8&0xff) + 0.0722*lin(n&0xff)
}

// DarkerColor is #rrggbb with every channel at 3/4: the hover shade of
// the accent colour, darker so its contrast only grows.
func DarkerColor(hex string) string {
	n, err := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	if err != nil {
		return hex
	}
	r, g, b := (n>>16&0xff)*3/4, (n>>8&0xff)*3/4, (n&0xff)*3/4
	return fmt.Sprintf("#%02x%02x%02x", r, g, b)
}
