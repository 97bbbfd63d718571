package devicepass_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/smallstep/pkcs7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"howett.net/plist"

	"github.com/mailautoconf/mailautoconf/autoconfig/tbimport/tbimporttest"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/profiles"
	"github.com/mailautoconf/mailautoconf/wizard/devicepass"
	"github.com/mailautoconf/mailautoconf/wizard/devicepass/devicepasstest"
)

// requireNoStore checks the headers every answer of the flow has.
func requireNoStore(t *testing.T, p devicepasstest.Page) {
	t.Helper()
	assert.Equal(t, "no-store", p.Header.Get("Cache-Control"), "%s", p.URL)
	assert.Empty(t, p.Header.Get("ETag"), "%s", p.URL)
}

func TestOneStep_AppleProfileHoldsThePasswordOnce(t *testing.T) {
	e := newEnv(t, true)
	form := e.SignIn("apple-ios", "Jane.Doe@Example.com")
	requireNoStore(t, form)
	assert.Equal(t, "Jane’s iPhone", e.Attr(devicepasstest.DeviceName, form.Body), "prefilled from the client and the name")

	result := e.MakePassword(form, "Jane’s iPhone")
	require.Equal(t, http.StatusOK, result.Status, result.Body)
	requireNoStore(t, result)
	assert.Contains(t, result.Body, `href="`+devicepass.ProfilePath+`"`)
	assert.Contains(t, result.Body, "https://account.example.com/device-passwords", "where to revoke it")
	assert.NotContains(t, result.Body, "Dp-7h9", "the page does not show what the profile holds")
	assert.Equal(t, []devicepasstest.Call{{Address: "jane.doe@example.com", Device: "Jane’s iPhone"}}, e.api.Calls())

	dl := e.Get(devicepass.ProfilePath)
	require.Equal(t, http.StatusOK, dl.Status, dl.Body)
	requireNoStore(t, dl)
	assert.Equal(t, profiles.ContentType, dl.Header.Get("Content-Type"))
	p7, err := pkcs7.Parse([]byte(dl.Body))
	require.NoError(t, err)
	require.NoError(t, p7.VerifyWithChain(e.pki.Pool()), "signed by the configured signer")
	var profile struct {
		PayloadContent []map[string]any
	}
	_, err = plist.Unmarshal(p7.Content, &profile)
	require.NoError(t, err)
	mail := profile.PayloadContent[0]
	assert.Equal(t, password, mail["IncomingPassword"])
	assert.Equal(t, password, mail["OutgoingPassword"])
	assert.Equal(t, "jane.doe@example.com", mail["IncomingMailServerUsername"])

	again := e.Get(devicepass.ProfilePath)
	assert.Equal(t, http.StatusGone, again.Status, "one download")
	assert.NotContains(t, again.Body, "Dp-7h9")
	requireNoStore(t, again)

	// The link is nothing without this browser's cookie.
	stranger := e.srv.Client()
	resp, err := stranger.Get(e.srv.URL + devicepass.ProfilePath)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	e.requireNoSecretLeaked()
}

func TestOneStep_CookieIsHostOnlySecureHTTPOnlyLax(t *testing.T) {
	e := newEnv(t, false)
	e.StopAt = func(u *url.URL) bool { return strings.HasPrefix(u.String(), e.op.Issuer) }
	p := e.Get("/setup/other?email=jane.doe@example.com")
	start := e.Get(e.Attr(devicepasstest.SignInLink, p.Body))
	require.Equal(t, http.StatusSeeOther, start.Status)
	cookie := start.Header.Get("Set-Cookie")
	assert.True(t, strings.HasPrefix(cookie, devicepass.CookieName+"="), cookie)
	for _, attr := range []string{"Path=/", "Max-Age=600", "HttpOnly", "Secure", "SameSite=Lax"} {
		assert.Contains(t, cookie, attr)
	}
	assert.NotContains(t, cookie, "Domain=")

	// The authorization request: code flow with PKCE S256, state, nonce.
	reqs := e.op.AuthRequests()
	require.Empty(t, reqs, "not sent yet: the browser stopped at the redirect")
	auth, err := url.Parse(start.Header.Get("Location"))
	require.NoError(t, err)
	q := auth.Query()
	assert.Equal(t, "code", q.Get("response_type"))
	assert.Equal(t, "S256", q.Get("code_challenge_method"))
	assert.Len(t, q.Get("code_challenge"), 43)
	assert.Len(t, q.Get("state"), 43)
	assert.Len(t, q.Get("nonce"), 43)
	assert.Equal(t, e.srv.URL+devicepass.CallbackPath, q.Get("redirect_uri"))
	assert.Equal(t, "openid email", q.Get("scope"))
}

func TestOneStep_ThunderbirdImportCodeHoldsThePasswordOnce(t *testing.T) {
	e := newEnv(t, false)
	result := e.MakePassword(e.SignIn("thunderbird", "jane.doe@example.com"), "Jane’s phone")
	require.Equal(t, http.StatusOK, result.Status, result.Body)
	assert.Contains(t, result.Body, `src="`+devicepass.QRPath+`"`)

	img := e.Get(devicepass.QRPath)
	require.Equal(t, http.StatusOK, img.Status, img.Body)
	requireNoStore(t, img)
	assert.Equal(t, "image/png", img.Header.Get("Content-Type"))
	payload, _ := testkit.DecodeQR(t, []byte(img.Body))
	got, err := tbimporttest.Read([]byte(payload))
	require.NoError(t, err, "the app's strict reader accepts the code: %s", payload)
	assert.Equal(t, password, got.IncomingPassword)
	assert.Equal(t, password, got.SMTPPassword)
	assert.Equal(t, "jane.doe@example.com", got.IncomingUser)
	assert.Equal(t, "jane.doe@example.com", got.Email)
	assert.Contains(t, payload, `"jane.doe@example.com","",`, "the app names the account after the address")

	assert.Equal(t, http.StatusGone, e.Get(devicepass.QRPath).Status, "drawn once")
	e.requireNoSecretLeaked()
}

func TestOneStep_OtherAppsSeeThePasswordOnceBesideTheSettings(t *testing.T) {
	e := newEnv(t, false)
	result := e.MakePassword(e.SignIn("other", "jane.doe@example.com"), "Laptop")
	require.Equal(t, http.StatusOK, result.Status, result.Body)
	requireNoStore(t, result)
	assert.Contains(t, result.Body, `<code id="device-password">Dp-7h9&#34;&lt;&amp;&gt;&#39;x</code>`)
	assert.Contains(t, result.Body, `id="copy"`)
	assert.Contains(t, result.Body, "imap.example.com", "beside the settings")
	assert.Contains(t, result.Header.Get("Content-Security-Policy"), "script-src 'self'")

	again := e.Get(devicepass.ResultPath)
	assert.Equal(t, http.StatusGone, again.Status)
	assert.NotContains(t, again.Body, "Dp-7h9")
	assert.Len(t, e.api.Calls(), 1, "a reload makes no second password")
	e.requireNoSecretLeaked()
}

// Thunderbird on a computer cannot scan: its users may have the password
// shown instead of the code.
func TestOneStep_ThunderbirdOnAComputerSeesThePassword(t *testing.T) {
	e := newEnv(t, false)
	form := e.SignIn("thunderbird", "jane.doe@example.com")
	require.Contains(t, form.Body, `id="make-password-shown"`)
	result := e.Post(devicepass.DevicePath, url.Values{"token": {e.Attr(devicepasstest.FormToken, form.Body)}, "device": {"Laptop"}, "delivery": {"shown"}})
	require.Equal(t, http.StatusOK, result.Status, result.Body)
	assert.Contains(t, result.Body, `<code id="device-password">`)
	assert.NotContains(t, result.Body, `id="import-code"`)
	assert.Equal(t, http.StatusGone, e.Get(devicepass.QRPath).Status, "no code besides")
}

// An account the app cannot import (a non-ASCII local part) gets the
// password shown, never a code that fails after the password was made.
func TestOneStep_AnAccountNoCodeCanHoldIsShown(t *testing.T) {
	e := newEnv(t, false)
	e.op.SignInAs("jürg@example.com", true)
	result := e.MakePassword(e.SignIn("thunderbird", "jürg@example.com"), "Phone")
	require.Equal(t, http.StatusOK, result.Status, result.Body)
	assert.Contains(t, result.Body, `<code id="device-password">`)
}

func TestOneStep_IDNAddressInEitherForm(t *testing.T) {
	e := newEnv(t, false)
	e.op.SignInAs("JANE@xn--bcher-kva.ch", true)
	result := e.MakePassword(e.SignIn("other", "jane@bücher.ch"), "Laptop")
	require.Equal(t, http.StatusOK, result.Status, result.Body)
	assert.Equal(t, "jane@xn--bcher-kva.ch", e.api.Calls()[0].Address, "the login form of the address")
}

// The provider's API is the authority on who may manage which mailbox:
// a verified sign-in as another address gets a password only when the API
// makes it.
func TestOneStep_AnotherAddressTheAPIAllows(t *testing.T) {
	e := newEnv(t, false)
	e.op.SignInAs("admin@example.com", true)
	e.api.Allow("admin@example.com", "jane.doe@example.com")
	result := e.MakePassword(e.SignIn("other", "jane.doe@example.com"), "Laptop")
	require.Equal(t, http.StatusOK, result.Status, result.Body)
	assert.Contains(t, result.Body, `<code id="device-password">Dp-7h9&#34;&lt;&amp;&gt;&#39;x</code>`)
	assert.Equal(t, []devicepasstest.Call{{Address: "jane.doe@example.com", Device: "Laptop"}}, e.api.Calls())
	e.requireNoSecretLeaked()
}

func TestOneStep_AnotherAddressTheAPIRefuses(t *testing.T) {
	e := newEnv(t, false)
	e.op.SignInAs("john@example.com", true)
	e.api.Allow("john@example.com", "someone.else@example.com")
	form := e.SignIn("other", "jane.doe@example.com")
	require.Equal(t, http.StatusOK, form.Status, "the API decides, not the sign-in: %s", form.Body)
	p := e.MakePassword(form, "Laptop")
	assert.Equal(t, http.StatusForbidden, p.Status, p.Body)
	assert.Contains(t, p.Body, "Signed in with another address")
	assert.NotContains(t, p.Body, "Password not allowed")
	assert.NotContains(t, p.Body, "Dp-7h9")
	assert.Equal(t, []devicepasstest.Call{{Address: "jane.doe@example.com", Device: "Laptop"}}, e.api.Calls(), "asked once")
	assert.NotEqual(t, http.StatusOK, e.Get(devicepass.ResultPath).Status)
	e.requireNoSecretLeaked()
}

// Only a verified identity may ask the API.
func TestOneStep_UnverifiedEmailNeverReachesTheAPI(t *testing.T) {
	for _, addr := range []string{"jane.doe@example.com", "admin@example.com"} {
		t.Run(addr, func(t *testing.T) {
			e := newEnv(t, false)
			e.op.SignInAs(addr, false)
			e.api.Allow("admin@example.com", "jane.doe@example.com")
			p := e.SignIn("other", "jane.doe@example.com")
			assert.Equal(t, http.StatusForbidden, p.Status, p.Body)
			assert.Contains(t, p.Body, "Signed in with another address")
			assert.NotContains(t, p.Body, `name="device"`, "no device form")
			forged := e.Post(devicepass.DevicePath, url.Values{"token": {"x"}, "device": {"Laptop"}})
			assert.NotEqual(t, http.StatusOK, forged.Status)
			assert.Empty(t, e.api.Calls())
		})
	}
}

func TestOneStep_Refusals(t *testing.T) {
	tests := []struct {
		name   string
		run    func(e *env) devicepasstest.Page
		status int
		text   string
	}{
		{"an ID token for another address the API refuses", func(e *env) devicepasstest.Page {
			e.op.SignInAs("john@example.com", true)
			return e.MakePassword(e.SignIn("other", "jane.doe@example.com"), "Laptop")
		}, http.StatusForbidden, "Signed in with another address"},
		{"an unverified email", func(e *env) devicepasstest.Page {
			e.op.SignInAs("jane.doe@example.com", false)
			return e.SignIn("other", "jane.doe@example.com")
		}, http.StatusForbidden, "Signed in with another address"},
		{"wrong state", func(e *env) devicepasstest.Page {
			cb := e.stopAtCallback("other")
			q := cb.Query()
			q.Set("state", "x"+q.Get("state")[1:])
			cb.RawQuery = q.Encode()
			return e.Get(cb.String())
		}, http.StatusBadRequest, "This answer is not for this sign-in"},
		{"replayed code", func(e *env) devicepasstest.Page {
			cb := e.stopAtCallback("other")
			e.StopAt = nil
			require.Equal(e.t, http.StatusOK, e.Get(cb.String()).Status)
			return e.Get(cb.String())
		}, http.StatusBadRequest, "This answer is not for this sign-in"},
		{"a code injected from a sign-in without PKCE", func(e *env) devicepasstest.Page {
			code := e.codeWithoutPKCE()
			cb := e.stopAtCallback("other")
			q := cb.Query()
			q.Set("code", code)
			cb.RawQuery = q.Encode()
			e.StopAt = nil
			return e.Get(cb.String())
		}, http.StatusBadRequest, "Sign-in not accepted"},
		{"the sign-in cancelled at the provider", func(e *env) devicepasstest.Page {
			cb := e.stopAtCallback("other")
			q := cb.Query()
			q.Del("code")
			q.Set("error", "access_denied")
			cb.RawQuery = q.Encode()
			return e.Get(cb.String())
		}, http.StatusForbidden, "Sign-in cancelled"},
		{"the identity provider down", func(e *env) devicepasstest.Page {
			e.op.Close()
			return e.SignIn("other", "jane.doe@example.com")
		}, http.StatusBadGateway, "sign-in is not answering"},
		{"a callback in another browser", func(e *env) devicepasstest.Page {
			cb := e.stopAtCallback("other")
			e.ForgetCookies()
			return e.Get(cb.String())
		}, http.StatusBadRequest, "Sign-in not found"},
		{"an expired session", func(e *env) devicepasstest.Page {
			form := e.SignIn("other", "jane.doe@example.com")
			e.clock.Advance(devicepass.Lifetime)
			return e.MakePassword(form, "Laptop")
		}, http.StatusGone, "Sign-in expired"},
		{"the API down", func(e *env) devicepasstest.Page {
			e.api.Down(true)
			return e.MakePassword(e.SignIn("apple-ios", "jane.doe@example.com"), "iPhone")
		}, http.StatusBadGateway, "could not create the password"},
		{"a forged form", func(e *env) devicepasstest.Page {
			e.SignIn("other", "jane.doe@example.com")
			return e.Post(devicepass.DevicePath, url.Values{"token": {"forged"}, "device": {"Laptop"}})
		}, http.StatusBadRequest, "This answer is not for this sign-in"},
		{"a provider without mint", func(e *env) devicepasstest.Page {
			return e.Get(devicepass.StartPath + "?email=jane@other.example&client=other")
		}, http.StatusNotFound, "Not offered for this address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, false)
			p := tt.run(e)
			assert.Equal(t, tt.status, p.Status, p.Body)
			assert.Contains(t, p.Body, tt.text)
			assert.Contains(t, p.Body, "<main", "a page in the site's look")
			requireNoStore(t, p)
			// No password was made, or none is served.
			dl := e.Get(devicepass.ProfilePath)
			assert.NotEqual(t, http.StatusOK, dl.Status)
			assert.NotContains(t, dl.Body, "Dp-7h9")
			e.requireNoSecretLeaked()
		})
	}
}

func TestOneStep_NotOfferedWithoutMint(t *testing.T) {
	e := newEnv(t, false)
	p := e.Get("/setup/other?email=jane@other.example")
	assert.NotContains(t, p.Body, `id="signin"`)
	p = e.Get("/setup/other?email=jane@example.com")
	assert.Contains(t, p.Body, `id="signin"`)
}

// stopAtCallback starts a sign-in for client and stops where the identity
// provider sends the browser back; it returns that URL.
func (e *env) stopAtCallback(client string) *url.URL {
	e.t.Helper()
	e.StopAt = func(u *url.URL) bool { return u.Path == devicepass.CallbackPath }
	p := e.Get("/setup/" + client + "?email=jane.doe@example.com")
	back := e.Get(e.Attr(devicepasstest.SignInLink, p.Body))
	require.Equal(e.t, http.StatusFound, back.Status, back.Body)
	u, err := url.Parse(back.Header.Get("Location"))
	require.NoError(e.t, err)
	require.NotEmpty(e.t, u.Query().Get("code"))
	return u
}

// codeWithoutPKCE is a code of the identity provider from an
// authorization request without a code challenge (an attacker's own).
func (e *env) codeWithoutPKCE() string {
	e.t.Helper()
	q := url.Values{"client_id": {devicepasstest.ClientID}, "response_type": {"code"}, "scope": {"openid email"},
		"redirect_uri": {e.srv.URL + devicepass.CallbackPath}, "state": {"attacker"}, "nonce": {"n"}}
	e.StopAt = func(u *url.URL) bool { return u.Path == devicepass.CallbackPath }
	back := e.Get(e.op.Issuer + "/authorize?" + q.Encode())
	require.Equal(e.t, http.StatusFound, back.Status, back.Body)
	u, err := url.Parse(back.Header.Get("Location"))
	require.NoError(e.t, err)
	return u.Query().Get("code")
}
