package wizard

import (
	"context"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// A4 in inches, as Chromium's print dialog sends it.
const a4Width, a4Height = 8.27, 11.69

// pdfPage matches a page object of a PDF; "/Type /Pages" is the tree.
var pdfPage = regexp.MustCompile(`/Type\s*/Page\b[^s]`)

// printPDF prints the current page to an A4 PDF with Chromium's default
// margins (1 cm), as the print dialog's "Save as PDF" does.
func printPDF(ctx context.Context, t *testing.T) []byte {
	t.Helper()
	pdf, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
		res, err := cdp.Call(ctx, tg, page.PrintToPDF, page.PrintToPDFParams{PaperWidth: a4Width, PaperHeight: a4Height})
		return res.Data, err
	})
	require.NoError(t, err)
	return pdf
}

// TestBrowser_SheetPrintsOnTwoPages prints the sheet of every provider
// kind in every language to an A4 PDF: at most two pages, with the
// support contact and every link's address on paper.
func TestBrowser_SheetPrintsOnTwoPages(t *testing.T) {
	ctx := newBrowser(t)
	policy := newPolicyServer(t)
	// The embedded default: a provider whose only contact is a website.
	builtin := httptest.NewServer(newTestEngineFor(t, autoconfig.Default()))
	t.Cleanup(builtin.Close)
	out := screenshotDir(t)
	const local = "jane.doe-with-a-rather-long-name-here"
	// The device provider's contact, the site's for the provider without
	// one, the embedded default's website.
	for domain, support := range map[string]string{"device.example": "help.device.example", "account.example": "help.example.net/mail", "example.ch": "www.infomaniak.com/en/support"} {
		srv := policy
		if domain == "example.ch" {
			srv = builtin
		}
		for _, lang := range langCodes {
			name := domain + "-" + lang
			u := srv.URL + "/sheet?" + url.Values{"email": {local + "@" + domain}, "lang": {lang}}.Encode()
			require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(u), chromedp.WaitReady(chromedp.CSS("footer"))), name)
			pdf := printPDF(ctx, t)
			require.NoError(t, os.WriteFile(filepath.Join(out, "sheet-"+name+".pdf"), pdf, 0o644))
			if os.Getenv("MAILAUTOCONF_SCREENSHOTS") != "" && lang == "de" {
				printShot(ctx, t, filepath.Join(out, "sheet-"+name+"-print.png"))
			}
			assert.LessOrEqual(t, len(pdfPage.FindAll(pdf, -1)), 2, "%s: the sheet prints on at most two A4 pages", name)
			paper := onPaper(ctx, t)
			assert.Empty(t, paper.Unaddressed, "%s: links printed without their address", name)
			assert.Contains(t, paper.Footer, support, "%s: the support contact is printed", name)
			assert.Empty(t, paper.Orphans, "%s: headings alone at a page end", name)
		}
	}
}

// printShot saves how the page looks on paper: print media at the width of
// an A4 page inside its margins (19 cm, 718 CSS px).
func printShot(ctx context.Context, t *testing.T, file string) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(718, 1046), emulateMedia("print")))
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, png, 0o644))
	require.NoError(t, chromedp.Do(ctx, emulateMedia(""), chromedp.EmulateViewport(1280, 900)))
}

// paperReport is what the print layout shows; see onPaperJS.
type paperReport struct {
	// Unaddressed are the links printed with neither their address nor
	// an address as their words.
	Unaddressed []string `json:"unaddressed"`
	// Footer is the printed footer's text.
	Footer string `json:"footer"`
	// Orphans are headings that print with break-after other than avoid.
	Orphans []string `json:"orphans"`
}

// onPaperJS reads the page under print media: each visible link must
// print its address (data-url, shown by the print style) or be an address
// itself (mailto:, tel:, the typed short links).
const onPaperJS = `(() => {
  const visible = el => { const s = getComputedStyle(el); return s.display !== 'none' && s.visibility !== 'hidden' && el.getClientRects().length > 0; };
  const unaddressed = [...document.querySelectorAll('a[href]')].filter(visible).filter(a => {
    const after = getComputedStyle(a, '::after').content;
    if (after && after !== 'none' && after.includes(a.dataset.url || '\u0000')) return false;
    return !/^(mailto|tel):/.test(a.getAttribute('href')) && !a.closest('.qrlink');
  }).map(a => a.innerText + ' → ' + a.getAttribute('href'));
  const footer = document.querySelector('footer.site');
  const orphans = [...document.querySelectorAll('main h2, main h3')].filter(visible).filter(h => getComputedStyle(h).breakAfter !== 'avoid').map(h => h.innerText);
  const printed = el => el.innerText + [...el.querySelectorAll('a')].map(a => ' ' + getComputedStyle(a, '::after').content).join('');
  return {unaddressed, footer: footer && visible(footer) ? printed(footer) : '', orphans};
})()`

// onPaper reads the current page as it prints.
func onPaper(ctx context.Context, t *testing.T) paperReport {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, emulateMedia("print")))
	defer func() { require.NoError(t, chromedp.Do(ctx, emulateMedia(""))) }()
	r, err := chromedp.Run(ctx, chromedp.Evaluate[paperReport](onPaperJS))
	require.NoError(t, err)
	return r
}

// emulateMedia switches the page to print ("print") or screen ("").
func emulateMedia(media string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
		return err
	})
}
