// Package devicepass is the one-step setup: a user signs in at the
// provider (OpenID Connect, authorization code flow with PKCE S256, state
// and nonce), names the device, and the provider's API makes a device
// password (passwords.mint; the contract is deploy/device-password-api.yaml)
// that goes straight into what the user installs: the Apple profile, the
// Thunderbird for Android import code, or the page, once.
//
// The password lives in memory only, in the session of the browser that
// signed in (a __Host- cookie), for at most Lifetime and one download or
// one display. It is never in a URL, a log line, a cache or an ETag, and
// every response of the flow is no-store.
//
// The package holds the flow; the wizard draws its pages (Pages), so that
// they have the site's look and languages.
package devicepass

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/tbimport"
	"github.com/mailautoconf/mailautoconf/profiles"
)

// Paths of the flow. None carries a secret: the session cookie says whose
// password is meant.
const (
	// StartPath starts a sign-in: ?email=ADDR&client=ID[&name=NAME][&lang=L].
	StartPath = "/password/signin"
	// CallbackPath is the redirect URI registered at the identity provider:
	// PUBLIC_URL + CallbackPath.
	CallbackPath = "/password/callback"
	// DevicePath asks for the device's name (GET) and makes the password (POST).
	DevicePath = "/password/device"
	// ResultPath shows the result: the download, the code, or the password.
	ResultPath = "/password/result"
	// ProfilePath is the Apple profile with the password, downloaded once.
	ProfilePath = "/password/profile.mobileconfig"
	// QRPath is the Thunderbird for Android import code with the password,
	// drawn once.
	QRPath = "/password/thunderbird.png"
)

// Reasons a step fails: the wizard's catalogs have devicepass.error.REASON.title
// and .text for each.
const (
	ReasonHTTPS       = "https"       // the service is not reached over HTTPS
	ReasonUnavailable = "unavailable" // the provider has no passwords.mint
	ReasonRequest     = "request"     // a bad address, client or name
	ReasonSession     = "session"     // no session: another browser, or cookies off
	ReasonExpired     = "expired"     // the session's time is up
	ReasonState       = "state"       // the answer is not this browser's sign-in
	ReasonDenied      = "denied"      // the user or the provider cancelled the sign-in
	ReasonRefused     = "refused"     // the provider refused the code
	ReasonIdP         = "idp"         // the identity provider failed
	ReasonAddress     = "address"     // signed in as another address
	ReasonAPIRefused  = "api-refused" // the API refused this account
	ReasonAPI         = "api"         // the API failed
	ReasonUsed        = "used"        // the password was served already
	ReasonBusy        = "busy"        // too many sign-ins or renders at once
)

var reasonStatus = map[string]int{
	ReasonHTTPS: http.StatusBadRequest, ReasonUnavailable: http.StatusNotFound,
	ReasonRequest: http.StatusBadRequest, ReasonSession: http.StatusBadRequest,
	ReasonExpired: http.StatusGone, ReasonState: http.StatusBadRequest,
	ReasonDenied: http.StatusForbidden, ReasonRefused: http.StatusBadRequest,
	ReasonIdP: http.StatusBadGateway, ReasonAddress: http.StatusForbidden,
	ReasonAPIRefused: http.StatusForbidden, ReasonAPI: http.StatusBadGateway,
	ReasonUsed: http.StatusGone, ReasonBusy: http.StatusServiceUnavailable,
}

// Delivery is how a client gets the password.
type Delivery int

const (
	// Shown: the page shows the password once, with a copy button.
	Shown Delivery = iota
	// Profile: the Apple profile holds it (ProfilePath).
	Profile
	// ImportCode: the Thunderbird for Android import code holds it (QRPath).
	ImportCode
)

// App is a wizard app (wizard.App) as the flow needs it.
type App struct {
	ID       string
	Delivery Delivery
	// DeviceName prefills the device's name.
	DeviceName string
}

// Pages draws the flow's pages; the wizard implements it.
type Pages interface {
	// Client is the client id's delivery and default device name in
	// lang, for the person named name ("" when unknown).
	App(id, lang, name string) (App, bool)
	// Device is the form that names the device. Reason, when set, is
	// why the name sent was refused.
	Device(c *gin.Context, v DeviceView)
	// Result is the password's delivery.
	Result(c *gin.Context, v ResultView)
	// Failure is a step that failed, with a way back.
	Failure(c *gin.Context, f Failure)
	// QRCode draws text as a PNG QR code.
	QRCode(text string) ([]byte, error)
}

// DeviceView is the device form.
type DeviceView struct {
	View
	Device    string
	FormToken string
	// Reason is devicepass.device.REASON when the name was refused.
	Reason string
	// ChooseShown, for an ImportCode client, offers to show the password
	// instead of the code (the app on a computer, which cannot scan): the
	// form then sends delivery=shown.
	ChooseShown bool
}

// ResultView is the result page.
type ResultView struct {
	View
	Delivery Delivery
	Device   string
	// Password is set for Shown only: this render is its one display.
	Password string
	// ID is the provider's name for the password.
	ID string
	// RevokeURL is where it is revoked: the API's revoke_url, or the
	// provider's passwords.create_url ("" when neither is known).
	RevokeURL string
}

// Failure is a failed step.
type Failure struct {
	View   // what is known of the request; Lang always
	Status int
	Reason string
}

// Options are the flow's dependencies beyond the handler's.
type Options struct {
	// Profiles renders (and signs) the Apple profile with the password.
	Profiles *profiles.Handler
	// HTTPClient reaches the identity providers and the APIs; nil: a
	// client with a 10-second timeout.
	HTTPClient *http.Client
	// Now is the clock (tests move it); nil: time.Now.
	Now func() time.Time
}

// Service serves the flow.
type Service struct {
	deps     httpkit.Deps
	logger   *slog.Logger
	pages    Pages
	profiles *profiles.Handler
	client   *http.Client
	sessions *store
	idps     *idps
	// calls holds one value per call to an identity provider or an API in
	// flight (maxCalls): a slow provider must not hold every goroutine
	// and connection of the server.
	calls chan struct{}
}

// maxCalls bounds the calls to identity providers and APIs at once; past
// it a step is refused as busy (503), never queued.
const maxCalls = 32

// requestTimeout bounds each call to the identity provider or the API.
const requestTimeout = 10 * time.Second

// New returns the flow.
func New(deps httpkit.Deps, pages Pages, opts Options) *Service {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: requestTimeout}
	}
	return &Service{deps: deps, logger: httpkit.Logger(deps.Logger), pages: pages, profiles: opts.Profiles,
		client: client, sessions: newStore(now), idps: &idps{client: client, now: now, byURL: map[string]*idp{}},
		calls: make(chan struct{}, maxCalls)}
}

// MetricsFormat is the metrics' format label of the flow's routes: sign-ins
// and passwords made are counted apart from the wizard's pages.
const MetricsFormat = "devicepass"

// Register adds the flow's routes to r, which the server rate-limits:
// each sign-in and each password costs calls to the provider.
func (s *Service) Register(r gin.IRouter) {
	g := r.Group("", noStore)
	g.GET(StartPath, s.start)
	g.GET(CallbackPath, s.callback)
	g.GET(DevicePath, s.deviceForm)
	g.POST(DevicePath, s.makePassword)
	g.GET(ResultPath, s.result)
	g.GET(ProfilePath, s.profile)
	g.GET(QRPath, s.importCode)
	s.deps.Declare(MetricsFormat, StartPath, CallbackPath, DevicePath, ResultPath, ProfilePath, QRPath)
}

// Enabled reports whether acct's provider offers the one-step setup.
func Enabled(acct autoconfig.Account) bool { return acct.Provider.Passwords.Mint != nil }

// noStore keeps every answer of the flow out of every cache.
func noStore(c *gin.Context) {
	httpkit.NoStore(c)
	c.Next()
}

// call takes a place for a call to a provider, or answers busy.
func (s *Service) call(c *gin.Context, v View) (done func(), ok bool) {
	select {
	case s.calls <- struct{}{}:
		return func() { <-s.calls }, true
	default:
		c.Header("Retry-After", httpkit.BusyRetryAfter)
		s.fail(c, v, ReasonBusy)
		return nil, false
	}
}

func (s *Service) fail(c *gin.Context, v View, reason string) {
	s.pages.Failure(c, Failure{View: v, Status: reasonStatus[reason], Reason: reason})
}

// start checks the request and sends the browser to the identity provider.
func (s *Service) start(c *gin.Context) {
	v, acct, cl, ok := s.readStart(c)
	if !ok {
		return
	}
	base := httpkit.BaseURL(s.deps.PublicURL, c.Request)
	if !httpkit.RequestIsHTTPS(c.Request) || !isHTTPS(base) {
		// A __Host- cookie exists only over HTTPS.
		s.fail(c, v, ReasonHTTPS)
		return
	}
	done, ok := s.call(c, v)
	if !ok {
		return
	}
	defer done()
	sess := &session{view: v, app: cl, state: randomToken(), nonce: randomToken(),
		verifier: oauthVerifier(), redirectURL: base + CallbackPath}
	_, conf, ok := s.oauth(c, v, acct, sess.redirectURL)
	if !ok {
		return
	}
	s.sessions.drop(c.Request)
	id, ok := s.sessions.create(sess)
	if !ok {
		s.fail(c, v, ReasonBusy)
		return
	}
	setCookie(c.Writer, id)
	c.Redirect(http.StatusSeeOther, authCodeURL(conf, sess, acct))
}

// readStart validates the sign-in link: the name, the address (served,
// with passwords.mint) and the client. On failure it has answered.
func (s *Service) readStart(c *gin.Context) (View, autoconfig.Account, App, bool) {
	v := View{Lang: c.Query("lang"), Client: c.Query("client")}
	name, err := profiles.ParseName(c.Query("name"))
	if err != nil {
		s.fail(c, v, ReasonRequest)
		return v, autoconfig.Account{}, App{}, false
	}
	v.Name = name
	addr, err := autoconfig.ParseAddress(c.Query("email"))
	if err != nil {
		s.fail(c, v, ReasonRequest)
		return v, autoconfig.Account{}, App{}, false
	}
	httpkit.TellAddress(c, addr)
	acct, err := s.deps.Resolver.Account(c.Request.Context(), addr, name)
	if err != nil || !Enabled(acct) {
		s.fail(c, v, ReasonUnavailable)
		return v, autoconfig.Account{}, App{}, false
	}
	v.Address = acct.Address
	cl, ok := s.pages.App(v.Client, v.Lang, name)
	if !ok {
		s.fail(c, v, ReasonRequest)
		return v, autoconfig.Account{}, App{}, false
	}
	return v, acct, cl, true
}

// oauth is acct's identity provider and OAuth client. On failure (the
// provider not reachable, the secret file unreadable) it has answered.
func (s *Service) oauth(c *gin.Context, v View, acct autoconfig.Account, redirectURL string) (*idp, *oauth2.Config, bool) {
	m := acct.Provider.Passwords.Mint
	p, err := s.idps.get(m)
	if err != nil {
		s.logger.Warn("device password sign-in: identity provider not available", "provider", acct.Provider.ID, "error", err)
		s.fail(c, v, ReasonIdP)
		return nil, nil, false
	}
	conf, err := oauthConfig(p, m, redirectURL)
	if err != nil {
		s.logger.Error("device password sign-in: the client is misconfigured", "provider", acct.Provider.ID, "error", err)
		s.fail(c, v, ReasonIdP)
		return nil, nil, false
	}
	return p, conf, true
}

func isHTTPS(base string) bool {
	u, err := url.Parse(base)
	return err == nil && u.Scheme == "https"
}

// callback takes the identity provider's answer: once, for the browser
// that started the sign-in, with its state.
func (s *Service) callback(c *gin.Context) {
	sess, ok := s.takeAnswer(c)
	if !ok {
		return
	}
	acct, ok := s.account(c, sess.view)
	if !ok {
		return
	}
	done, ok := s.call(c, sess.view)
	if !ok {
		return
	}
	defer done()
	p, conf, ok := s.oauth(c, sess.view, acct, sess.redirectURL)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), requestTimeout)
	defer cancel()
	in, err := finish(ctx, s.client, p, conf, acct.Provider.Passwords.Mint, c.Query("code"), sess.verifier, sess.nonce)
	if err != nil {
		reason := ReasonIdP
		var se *signInError
		if errors.As(err, &se) {
			reason = se.reason
		}
		s.logger.Info("device password sign-in failed", "provider", acct.Provider.ID, "reason", reason, "error", err)
		s.fail(c, sess.view, reason)
		return
	}
	// A verified identity with another address may still manage this one
	// (an administrator, a family account): the provider's API decides,
	// and its 403 is then told as "signed in with another address".
	other := !acct.Provider.SameMailbox(in.address, acct.Address)
	if other {
		s.logger.Info("device password sign-in names another address; the API decides", "provider", acct.Provider.ID)
	}
	s.sessions.with(c.Request, func(live *session) {
		live.signedIn, live.accessToken, live.formToken = true, in.accessToken, randomToken()
		live.otherAddress = other
	})
	c.Redirect(http.StatusSeeOther, DevicePath)
}

// takeAnswer takes the request's pending sign-in, once whatever the
// answer holds, and checks the answer's state. On failure it has answered.
func (s *Service) takeAnswer(c *gin.Context) (session, bool) {
	var sess session
	var pending bool
	serr := s.sessions.with(c.Request, func(live *session) {
		sess = *live
		pending = live.state != ""
		live.state, live.nonce, live.verifier = "", "", ""
	})
	lang := c.Query("lang")
	switch {
	case serr == expiredSession:
		s.fail(c, View{Lang: lang}, ReasonExpired)
	case serr != 0:
		s.fail(c, View{Lang: lang}, ReasonSession)
	case !pending || !equal(c.Query("state"), sess.state):
		s.fail(c, sess.view, ReasonState)
	case c.Query("error") != "":
		s.fail(c, sess.view, ReasonDenied)
	default:
		return sess, true
	}
	return session{}, false
}

// account resolves the session's address again: the configuration may
// have been reloaded since the sign-in started.
func (s *Service) account(c *gin.Context, v View) (autoconfig.Account, bool) {
	acct, err := s.deps.Resolver.Account(c.Request.Context(), v.Address, v.Name)
	if err != nil || !Enabled(acct) {
		s.fail(c, v, ReasonUnavailable)
		return autoconfig.Account{}, false
	}
	return acct, true
}

// signedInSession copies the request's signed-in session, or answers.
func (s *Service) signedInSession(c *gin.Context) (session, bool) {
	var sess session
	serr := s.sessions.with(c.Request, func(live *session) { sess = *live })
	switch {
	case serr == expiredSession:
		s.fail(c, View{Lang: c.Query("lang")}, ReasonExpired)
	case serr != 0:
		s.fail(c, View{Lang: c.Query("lang")}, ReasonSession)
	case !sess.signedIn:
		s.fail(c, sess.view, ReasonSession)
	default:
		return sess, true
	}
	return session{}, false
}

// deviceForm asks for the device's name, once signed in.
func (s *Service) deviceForm(c *gin.Context) {
	sess, ok := s.signedInSession(c)
	if !ok {
		return
	}
	if sess.minted != nil {
		c.Redirect(http.StatusSeeOther, ResultPath)
		return
	}
	s.pages.Device(c, s.deviceView(sess, ""))
}

func (s *Service) deviceView(sess session, reason string) DeviceView {
	return DeviceView{View: sess.view, Device: sess.app.DeviceName, FormToken: sess.formToken, Reason: reason,
		ChooseShown: sess.app.Delivery == ImportCode}
}

// maxDeviceLength bounds the device's name (characters).
const maxDeviceLength = 64

// makePassword asks the provider's API for the password: once per sign-in.
func (s *Service) makePassword(c *gin.Context) {
	sess, ok := s.signedInSession(c)
	if !ok {
		return
	}
	if !equal(c.PostForm("token"), sess.formToken) {
		s.fail(c, sess.view, ReasonState)
		return
	}
	if sess.minted != nil || sess.accessToken == "" {
		c.Redirect(http.StatusSeeOther, ResultPath)
		return
	}
	device, err := profiles.ParseName(c.PostForm("device"))
	if err != nil || device == "" || len([]rune(device)) > maxDeviceLength {
		s.pages.Device(c, s.deviceView(sess, "devicepass.device.invalid"))
		return
	}
	acct, ok := s.account(c, sess.view)
	if !ok {
		return
	}
	done, ok := s.call(c, sess.view)
	if !ok {
		return
	}
	defer done()
	// The token is used once: taken out of the session before the call,
	// so that a second form sent meanwhile makes no second password.
	var token string
	s.sessions.with(c.Request, func(live *session) { token, live.accessToken = live.accessToken, "" })
	if token == "" {
		c.Redirect(http.StatusSeeOther, ResultPath)
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), requestTimeout)
	defer cancel()
	minted, err := mint(ctx, s.client, acct.Provider.Passwords.Mint, token, acct.LoginAddress(), device)
	if err != nil {
		reason := ReasonAPI
		var ae *apiError
		switch {
		case errors.As(err, &ae) && ae.forbidden && sess.otherAddress:
			reason = ReasonAddress
		case errors.As(err, &ae) && ae.refused:
			reason = ReasonAPIRefused
		}
		s.logger.Warn("device password not made", "provider", acct.Provider.ID, "reason", reason, "error", err)
		s.fail(c, sess.view, reason)
		return
	}
	if minted.RevokeURL == "" {
		minted.RevokeURL = acct.Provider.Passwords.CreateURL
	}
	// Thunderbird on a computer cannot scan, and some accounts cannot be
	// put in a code (tbimport refuses them): the password is shown then.
	_, noCode := tbimport.Payload(acct)
	shown := c.PostForm("delivery") == "shown" || noCode != nil
	s.sessions.with(c.Request, func(live *session) {
		live.minted, live.app.DeviceName = &minted, device
		if shown && live.app.Delivery == ImportCode {
			live.app.Delivery = Shown
		}
	})
	c.Redirect(http.StatusSeeOther, ResultPath)
}

// result shows the password's delivery. For Shown clients this is the
// password's one display.
func (s *Service) result(c *gin.Context) {
	var sess session
	serr := s.sessions.with(c.Request, func(live *session) { sess = *live })
	if !s.check(c, serr, sess) {
		return
	}
	v := ResultView{View: sess.view, Delivery: sess.app.Delivery, Device: sess.app.DeviceName,
		ID: sess.minted.ID, RevokeURL: sess.minted.RevokeURL}
	if v.Delivery == Shown {
		var ok bool
		if _, v.Password, ok = s.take(c, Shown); !ok {
			return
		}
	}
	s.pages.Result(c, v)
}

// check answers a request without a session or without a password made.
func (s *Service) check(c *gin.Context, serr sessionError, sess session) bool {
	switch {
	case serr == expiredSession:
		s.fail(c, View{Lang: c.Query("lang")}, ReasonExpired)
	case serr != 0:
		s.fail(c, View{Lang: c.Query("lang")}, ReasonSession)
	case sess.minted == nil:
		s.fail(c, sess.view, ReasonSession)
	default:
		return true
	}
	return false
}

// take takes the password out of the session for its one download.
func (s *Service) take(c *gin.Context, want Delivery) (session, string, bool) {
	var sess session
	var password string
	serr := s.sessions.with(c.Request, func(live *session) {
		sess = *live
		if live.minted != nil && !live.served && live.app.Delivery == want {
			password, live.served = live.minted.Password, true
			live.minted.Password = ""
		}
	})
	if !s.check(c, serr, sess) {
		return session{}, "", false
	}
	if password == "" {
		s.fail(c, sess.view, ReasonUsed)
		return session{}, "", false
	}
	return sess, password, true
}

// profile serves the Apple profile with the password, once.
func (s *Service) profile(c *gin.Context) {
	sess, password, ok := s.take(c, Profile)
	if !ok {
		return
	}
	acct, ok := s.account(c, sess.view)
	if !ok {
		return
	}
	body, err := s.profiles.WithPassword(acct, profiles.Options{Name: sess.view.Name, Include: profiles.IncludeMail, Lang: sess.view.Lang}, password)
	if err != nil {
		s.renderFailed(c, sess.view, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+profiles.FileName(acct.Address)+`"`)
	c.Data(http.StatusOK, profiles.ContentType, body)
}

// importCode serves the Thunderbird for Android code with the password, once.
func (s *Service) importCode(c *gin.Context) {
	sess, password, ok := s.take(c, ImportCode)
	if !ok {
		return
	}
	acct, ok := s.account(c, sess.view)
	if !ok {
		return
	}
	payload, err := tbimport.PayloadWithPassword(acct, password)
	if err != nil {
		s.renderFailed(c, sess.view, err)
		return
	}
	png, err := httpkit.LimitCPU(func() ([]byte, error) { return s.pages.QRCode(string(payload)) })
	if err != nil {
		s.renderFailed(c, sess.view, err)
		return
	}
	c.Data(http.StatusOK, "image/png", png)
}

// renderFailed answers a render that failed after the password was taken:
// busy is said as such; anything else is a logged 500 without the cause's
// values.
func (s *Service) renderFailed(c *gin.Context, v View, err error) {
	if errors.Is(err, httpkit.ErrBusy) {
		s.fail(c, v, ReasonBusy)
		return
	}
	httpkit.WriteError(c, s.logger, err)
}
