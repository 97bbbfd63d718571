package devicepass

import (
	"golang.org/x/oauth2"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// oauthVerifier is a PKCE code verifier (RFC 7636: 32 random octets).
func oauthVerifier() string { return oauth2.GenerateVerifier() }

// authCodeURL is the identity provider's authorization URL for sess:
// state, nonce, the S256 challenge of its verifier, and the address as a
// login hint.
func authCodeURL(conf *oauth2.Config, sess *session, acct autoconfig.Account) string {
	return conf.AuthCodeURL(sess.state,
		oidc.Nonce(sess.nonce),
		oauth2.S256ChallengeOption(sess.verifier),
		oauth2.SetAuthURLParam("login_hint", acct.Address.String()),
	)
}
