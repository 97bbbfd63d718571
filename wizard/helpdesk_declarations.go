package wizard

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/profiles"
)

// helpdeskDeclarationsPath is the helpdesk's download of a user's Apple
// declarations (?email=ADDR[&name=…][&include=…]), for the administrator
// of the user's MDM. Helpdesk only: an MDM administrator asks the
// helpdesk, users install profiles.
const helpdeskDeclarationsPath = helpdeskPath + "/declarations.zip"

// declarationsLink is the helpdesk page's link to the download: every
// service the provider offers (the ones it lacks are left out).
func declarationsLink(email, name string) string {
	q := url.Values{"email": {email}, "include": {"mail,calendar,contacts"}}
	if name != "" {
		q.Set("name", name)
	}
	return helpdeskDeclarationsPath + "?" + q.Encode()
}

// helpdeskDeclarations serves the zip of declarations. Its credential
// assets point at this service's public URL, which serves the logins.
func (w *Wizard) helpdeskDeclarations(c *gin.Context) {
	req, err := profiles.ParseRequest(c.Request.URL.RawQuery)
	if err != nil {
		httpkit.WriteError(c, w.logger, err)
		return
	}
	httpkit.TellAddress(c, req.Address)
	acct, err := w.deps.Resolver.Account(c.Request.Context(), req.Address, req.Options.Name)
	if err != nil {
		httpkit.WriteError(c, w.logger, err)
		return
	}
	body, err := profiles.DeclarationsZip(acct, req.Options, httpkit.BaseURL(w.deps.PublicURL, c.Request))
	if err != nil {
		httpkit.WriteError(c, w.logger, err)
		return
	}
	hdr := c.Writer.Header()
	hdr["Content-Disposition"] = []string{`attachment; filename="` + profiles.DeclarationsFileName(req.Address) + `"`}
	hdr["Cache-Control"] = []string{"private, no-store"}
	c.Data(http.StatusOK, "application/zip", body)
}
