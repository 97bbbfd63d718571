package devicepass

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// CookieName is the session cookie. The __Host- prefix makes browsers
// accept it only with Secure, Path=/ and no Domain: no other host, and no
// plain-HTTP page, can set or replace it (RFC 6265bis §4.1.3.2).
const CookieName = "__Host-mailautoconf-signin"

// Lifetime bounds a session from the start of its sign-in: the device
// password it holds is gone at the latest this long after it was asked for.
const Lifetime = 10 * time.Minute

// maxSessions bounds the memory of sign-ins in progress; past it a new
// sign-in is refused (busy) until sessions expire.
const maxSessions = 10000

// session is one browser's sign-in, from the redirect to the identity
// provider to the one time its password is served. It lives in memory
// only, found by the cookie's random value.
type session struct {
	expires time.Time
	view    View
	app     App

	// The sign-in in progress: cleared when the answer comes back, so that
	// an answer (a code) is taken once.
	state, nonce, verifier, redirectURL string
	// After the sign-in: the user's access token until the password is
	// made (one sign-in, one password), and the device form's token.
	signedIn    bool
	accessToken string
	formToken   string
	// otherAddress: the ID token's verified address is not the one being
	// set up, so the API's 403 means "not yours to manage".
	otherAddress bool
	// The password made, until it is served once.
	minted *Minted
	served bool
	// stopTimer stops the timer that removes the session when its time is
	// up, whether or not the browser comes back: nothing it holds outlives
	// Lifetime.
	stopTimer func() bool
}

// store holds the sessions by cookie value.
type store struct {
	mu       sync.Mutex
	sessions map[string]*session
	now      func() time.Time
	// after runs f after d and returns what stops it (time.AfterFunc).
	after func(d time.Duration, f func()) (stop func() bool)
}

func newStore(now func() time.Time) *store {
	return &store{sessions: map[string]*session{}, now: now, after: func(d time.Duration, f func()) func() bool {
		return time.AfterFunc(d, f).Stop
	}}
}

// create adds a session and returns its cookie value; ok is false when
// the store is full.
func (s *store) create(sess *session) (id string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if len(s.sessions) >= maxSessions {
		s.sweep(now)
		if len(s.sessions) >= maxSessions {
			return "", false
		}
	}
	id = randomToken()
	sess.expires = now.Add(Lifetime)
	sess.stopTimer = s.after(Lifetime, func() { s.remove(id) })
	s.sessions[id] = sess
	return id, true
}

// remove drops session id, if it is still there.
func (s *store) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delete(id)
}

// delete drops session id and its timer; s.mu is held.
func (s *store) delete(id string) {
	if sess, ok := s.sessions[id]; ok {
		sess.stopTimer()
		delete(s.sessions, id)
	}
}

// sweep drops expired sessions; s.mu is held.
func (s *store) sweep(now time.Time) {
	for id, sess := range s.sessions {
		if !now.Before(sess.expires) {
			s.delete(id)
		}
	}
}

// errNoSession and errExpired say why a request has no session.
type sessionError int

const (
	noSession sessionError = iota + 1
	expiredSession
)

// with runs f on the request's session under the store's lock, so that a
// step (take the code, serve the password) happens once even when the
// browser sends two requests at once.
func (s *store) with(r *http.Request, f func(*session)) sessionError {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return noSession
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[c.Value]
	if !ok {
		return noSession
	}
	if !s.now().Before(sess.expires) {
		s.delete(c.Value)
		return expiredSession
	}
	f(sess)
	return 0
}

// drop removes the request's session (a new sign-in replaces it).
func (s *store) drop(r *http.Request) {
	if c, err := r.Cookie(CookieName); err == nil {
		s.remove(c.Value)
	}
}

// len is the number of sessions held.
func (s *store) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

func setCookie(w http.ResponseWriter, id string) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: id, Path: "/",
		MaxAge: int(Lifetime / time.Second), Secure: true, HttpOnly: true,
		// Lax: the identity provider's redirect back is a top-level GET
		// from another site and must carry the cookie; a cross-site POST
		// (the device form) must not.
		SameSite: http.SameSiteLaxMode,
	})
}

// randomToken is 256 random bits, URL-safe.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// equal compares secrets in constant time.
func equal(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// View is what every page of the flow is about.
type View struct {
	Lang    string
	Address autoconfig.Address
	// Name is the person's name from the wizard, "" when not given.
	Name string
	// Client is the wizard's client id.
	Client string
}
