// Package devicepasstest serves, on loopback, what a provider offers for
// the one-step setup: an OpenID Connect provider (github.com/zitadel/oidc's
// certified op package, with a small in-memory storage written here) and
// an implementation of the device password API contract
// (deploy/device-password-api.yaml) that checks the access token at the
// provider's userinfo endpoint, as a real API would.
package devicepasstest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// ClientID is the service's client at the test provider: a public client
// (no secret), so PKCE is all that binds a code to the browser.
const ClientID = "mailautoconf"

// OP is a running OpenID Connect provider.
type OP struct {
	// Issuer is its URL (http on loopback).
	Issuer  string
	storage *storage
	server  *httptest.Server
}

// Close stops the provider: it no longer answers.
func (o *OP) Close() { o.server.Close() }

// StartOP serves a provider whose one client, ClientID, may redirect to
// redirectURI only. It signs in whoever SignInAs names, without a form.
func StartOP(t testing.TB, redirectURI string) *OP {
	t.Helper()
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("test OP key: %v", err)
	}
	s := &storage{key: key, keyID: randomID(), redirectURI: redirectURI,
		requests: map[string]*authRequest{}, codes: map[string]string{}, tokens: map[string]*token{}}
	provider, err := op.NewProvider(&op.Config{
		CryptoKey:          sha256.Sum256([]byte(randomID())),
		CodeMethodS256:     true,
		SupportedUILocales: []language.Tag{language.English},
	}, s, op.StaticIssuer(srv.URL), op.WithAllowInsecure())
	if err != nil {
		t.Fatalf("test OP: %v", err)
	}
	callback := op.AuthCallbackURL(provider)
	mux := http.NewServeMux()
	// The login "page": signs the request in as the chosen user and sends
	// the browser back to the provider, which redirects to the client.
	mux.Handle("/login", op.NewIssuerInterceptor(provider.IssuerFromRequest).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		if err := s.signIn(id); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, callback(r.Context(), id), http.StatusFound)
	}))
	mux.Handle("/", provider)
	handler = mux
	return &OP{Issuer: srv.URL, storage: s, server: srv}
}

// SignInAs makes the next sign-ins those of a user with this email claim.
func (o *OP) SignInAs(email string, verified bool) {
	o.storage.mu.Lock()
	defer o.storage.mu.Unlock()
	o.storage.user = user{email: email, verified: verified}
}

// AuthRequests are the authorization requests the provider received.
func (o *OP) AuthRequests() []oidc.AuthRequest {
	o.storage.mu.Lock()
	defer o.storage.mu.Unlock()
	return slices.Clone(o.storage.received)
}

// Refuse makes the login page refuse every sign-in (the user cancels).
func (o *OP) Refuse(refuse bool) {
	o.storage.mu.Lock()
	defer o.storage.mu.Unlock()
	o.storage.refuse = refuse
}

type user struct {
	email    string
	verified bool
}

// storage is op.Storage in memory: what the provider needs for the
// authorization code flow, and nothing else.
type storage struct {
	key         *rsa.PrivateKey
	keyID       string
	redirectURI string

	mu       sync.Mutex
	user     user
	refuse   bool
	received []oidc.AuthRequest
	requests map[string]*authRequest
	codes    map[string]string // code → request id
	tokens   map[string]*token
}

type token struct {
	subject string
	user    user
	scopes  []string
	expires time.Time
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

var errNotFound = errors.New("not found")

func (s *storage) signIn(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.requests[id]
	if !ok {
		return errNotFound
	}
	if s.refuse {
		return errors.New("the user cancelled")
	}
	req.user, req.done, req.authTime = s.user, true, time.Now()
	return nil
}

func (s *storage) CreateAuthRequest(_ context.Context, r *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.received = append(s.received, *r)
	req := &authRequest{id: randomID(), req: *r}
	s.requests[req.id] = req
	return req, nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if req, ok := s.requests[id]; ok {
		return req, nil
	}
	return nil, errNotFound
}

func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	id, ok := s.codes[code]
	s.mu.Unlock()
	if !ok {
		return nil, errNotFound
	}
	return s.AuthRequestByID(ctx, id)
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest is called once the code is exchanged: the code then
// no longer works.
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

func (s *storage) CreateAccessToken(_ context.Context, r op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, expires := randomID(), time.Now().Add(5*time.Minute)
	t := &token{subject: r.GetSubject(), scopes: r.GetScopes(), expires: expires}
	if ar, ok := r.(*authRequest); ok {
		t.user = ar.user
	}
	s.tokens[id] = t
	return id, expires, nil
}

func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errors.New("no refresh tokens")
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, op.ErrInvalidRefreshToken
}

func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

func (s *storage) RevokeToken(_ context.Context, id, _, _ string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, id)
	return nil
}

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) {
	return signingKey{s.key, s.keyID}, nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{&s.key.PublicKey, s.keyID}}, nil
}

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	if id != ClientID {
		return nil, errNotFound
	}
	return client{redirectURI: s.redirectURI}, nil
}

func (s *storage) AuthorizeClientIDSecret(context.Context, string, string) error {
	return errors.New("the client is public: no secret")
}

// setUserinfo fills the claims of u for scopes.
func setUserinfo(info *oidc.UserInfo, subject string, u user, scopes []string) {
	info.Subject = subject
	if slices.Contains(scopes, oidc.ScopeEmail) {
		info.Email = u.email
		info.EmailVerified = oidc.Bool(u.verified)
	}
}

func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil // SetUserinfoFromRequest fills the ID token
}

// SetUserinfoFromRequest puts the signed-in user's claims in the ID token.
func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, r op.IDTokenRequest, scopes []string) error {
	ar, ok := r.(*authRequest)
	if !ok {
		return errors.New("unexpected request")
	}
	setUserinfo(info, ar.GetSubject(), ar.user, scopes)
	return nil
}

func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, id, _, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[id]
	if !ok || time.Now().After(t.expires) {
		return errors.New("token is invalid or expired")
	}
	setUserinfo(info, t.subject, t.user, t.scopes)
	return nil
}

func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("no introspection")
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errNotFound
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("no JWT profile")
}

func (s *storage) Health(context.Context) error { return nil }

// authRequest is op.AuthRequest.
type authRequest struct {
	id       string
	req      oidc.AuthRequest
	user     user
	done     bool
	authTime time.Time
}

func (a *authRequest) GetID() string          { return a.id }
func (a *authRequest) GetACR() string         { return "" }
func (a *authRequest) GetAMR() []string       { return []string{"pwd"} }
func (a *authRequest) GetAudience() []string  { return []string{a.req.ClientID} }
func (a *authRequest) GetAuthTime() time.Time { return a.authTime }
func (a *authRequest) GetClientID() string    { return a.req.ClientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.req.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.req.CodeChallenge, Method: a.req.CodeChallengeMethod}
}
func (a *authRequest) GetNonce() string                   { return a.req.Nonce }
func (a *authRequest) GetRedirectURI() string             { return a.req.RedirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType { return a.req.ResponseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode { return a.req.ResponseMode }
func (a *authRequest) GetScopes() []string                { return a.req.Scopes }
func (a *authRequest) GetState() string                   { return a.req.State }
func (a *authRequest) GetSubject() string                 { return "sub-" + a.user.email }
func (a *authRequest) Done() bool                         { return a.done }

// client is the service as the provider knows it.
type client struct{ redirectURI string }

func (c client) GetID() string                       { return ClientID }
func (c client) RedirectURIs() []string              { return []string{c.redirectURI} }
func (c client) PostLogoutRedirectURIs() []string    { return nil }
func (c client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c client) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodNone }
func (c client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c client) GrantTypes() []oidc.GrantType         { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c client) LoginURL(id string) string            { return "/login?id=" + id }
func (c client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeBearer }
func (c client) IDTokenLifetime() time.Duration       { return 5 * time.Minute }
func (c client) DevMode() bool                        { return false }
func (c client) IsScopeAllowed(string) bool           { return false }
func (c client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c client) ClockSkew() time.Duration             { return 0 }
func (c client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

type signingKey struct {
	key *rsa.PrivateKey
	id  string
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

type publicKey struct {
	key *rsa.PublicKey
	id  string
}

func (k publicKey) ID() string                         { return k.id }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return k.key }
