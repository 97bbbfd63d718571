package devicepass

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// discoveryLifetime is how long an identity provider's discovery document
// is used before it is fetched again; its keys are refreshed by go-oidc
// whenever a token names a key it does not know.
const discoveryLifetime = time.Hour

// idp is a discovered identity provider.
type idp struct {
	provider *oidc.Provider
	fetched  time.Time
}

// idps holds the discovered identity providers by issuer.
type idps struct {
	client *http.Client
	now    func() time.Time
	mu     sync.Mutex
	byURL  map[string]*idp
}

// get discovers m's issuer, or returns the discovery made within the
// last discoveryLifetime. A failed discovery is not kept.
func (s *idps) get(m *autoconfig.Mint) (*idp, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.byURL[m.Issuer]; ok && s.now().Sub(p.fetched) < discoveryLifetime {
		return p, nil
	}
	// The provider keeps this context for fetching keys later: it must not
	// be the request's. The client's timeout bounds each fetch.
	provider, err := oidc.NewProvider(oidc.ClientContext(context.Background(), s.client), m.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discovering the identity provider %s: %w", m.Issuer, err)
	}
	p := &idp{provider: provider, fetched: s.now()}
	s.byURL[m.Issuer] = p
	return p, nil
}

// oauthConfig is the OAuth client of m, with the secret read now (a
// rotated secret file needs no reload).
func oauthConfig(p *idp, m *autoconfig.Mint, redirectURL string) (*oauth2.Config, error) {
	conf := &oauth2.Config{
		ClientID: m.ClientID, Endpoint: p.provider.Endpoint(),
		RedirectURL: redirectURL, Scopes: m.Scopes,
	}
	if m.ClientSecretFile != "" {
		secret, err := os.ReadFile(m.ClientSecretFile)
		if err != nil {
			return nil, fmt.Errorf("reading passwords.mint.client_secret_file: %w", err)
		}
		conf.ClientSecret = strings.TrimSpace(string(secret))
	}
	return conf, nil
}

// signInError is a failed sign-in, by what the user is told.
type signInError struct {
	reason string // a Reason* constant
	err    error
}

func (e *signInError) Error() string { return e.reason + ": " + e.err.Error() }
func (e *signInError) Unwrap() error { return e.err }

// signedIn is what a successful sign-in gives.
type signedIn struct {
	accessToken string
	address     autoconfig.Address
}

// finish exchanges the code (with the PKCE verifier), verifies the ID
// token (signature, issuer, audience, expiry, nonce) and reads the
// address it names.
func finish(ctx context.Context, client *http.Client, p *idp, conf *oauth2.Config, m *autoconfig.Mint, code, verifier, nonce string) (signedIn, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, client)
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 {
			// invalid_grant: a code used twice, expired, or taken from
			// another sign-in (one without this browser's PKCE verifier).
			return signedIn{}, &signInError{ReasonRefused, fmt.Errorf("token endpoint refused the code: %s", re.ErrorCode)}
		}
		return signedIn{}, &signInError{ReasonIdP, fmt.Errorf("token endpoint: %w", err)}
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" || tok.AccessToken == "" {
		return signedIn{}, &signInError{ReasonIdP, errors.New("the token answer has no ID token or access token")}
	}
	idToken, err := p.provider.Verifier(&oidc.Config{ClientID: m.ClientID}).Verify(ctx, raw)
	if err != nil {
		return signedIn{}, &signInError{ReasonIdP, fmt.Errorf("verifying the ID token: %w", err)}
	}
	if !equal(idToken.Nonce, nonce) {
		return signedIn{}, &signInError{ReasonState, errors.New("the ID token's nonce is not this sign-in's")}
	}
	addr, err := claimedAddress(idToken, m.Claim)
	if err != nil {
		return signedIn{}, &signInError{ReasonAddress, err}
	}
	return signedIn{accessToken: tok.AccessToken, address: addr}, nil
}

// claimedAddress is the address the ID token's claim names; the email
// claim counts only with email_verified true.
func claimedAddress(tok *oidc.IDToken, claim string) (autoconfig.Address, error) {
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return autoconfig.Address{}, fmt.Errorf("reading the ID token's claims: %w", err)
	}
	value, _ := claims[claim].(string)
	if value == "" {
		return autoconfig.Address{}, fmt.Errorf("the ID token has no %s claim", claim)
	}
	if claim == "email" {
		if verified, _ := claims["email_verified"].(bool); !verified {
			return autoconfig.Address{}, errors.New("the ID token's email is not verified")
		}
	}
	addr, err := autoconfig.ParseAddress(value)
	if err != nil {
		return autoconfig.Address{}, fmt.Errorf("the ID token's %s claim: %w", claim, err)
	}
	return addr, nil
}
