package profiles

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
)

// errNoSuchServer is a credential request for a server the account does
// not have (server=caldav where the provider has no CalDAV).
var errNoSuchServer = httpkit.Error(http.StatusNotFound, "the provider of that domain has no such server")

// credential serves the credential data of a declaration's credential
// asset: the login of one server of one account, never a password (there
// is none here: Mail asks the user). A device downloads it with a plain
// GET (the asset's Authentication is absent, i.e. "None").
func (h *Handler) credential(c *gin.Context) {
	addr, role, err := parseCredentialRequest(c.Request.URL.RawQuery)
	if err != nil {
		httpkit.WriteError(c, h.logger, err)
		return
	}
	httpkit.TellAddress(c, addr)
	cfg := h.deps.Resolver.Config()
	p, err := h.deps.Resolver.ProviderIn(c.Request.Context(), cfg, addr.Domain)
	if err != nil {
		httpkit.WriteError(c, h.logger, err)
		return
	}
	login, ok := CredentialLogin(autoconfig.NewAccount(p, addr, ""), role)
	if !ok {
		httpkit.WriteError(c, h.logger, errNoSuchServer)
		return
	}
	// The login names the user: keep it out of shared caches.
	c.Writer.Header()["Cache-Control"] = privateNoStore
	c.Data(http.StatusOK, CredentialContentType, CredentialData(login))
}

// parseCredentialRequest validates email=ADDR&server=ROLE.
func parseCredentialRequest(rawQuery string) (autoconfig.Address, string, error) {
	raw, _ := httpkit.QueryValue(rawQuery, "email")
	if raw == "" {
		return autoconfig.Address{}, "", &RequestError{Reason: "the email parameter is required"}
	}
	addr, err := autoconfig.ParseAddress(raw)
	if err != nil {
		return autoconfig.Address{}, "", err
	}
	role, _ := httpkit.QueryValue(rawQuery, "server")
	switch role {
	case RoleIncoming, RoleOutgoing, RoleCalDAV, RoleCardDAV:
		return addr, role, nil
	}
	return autoconfig.Address{}, "", &RequestError{Reason: "server takes incoming, outgoing, caldav or carddav"}
}
