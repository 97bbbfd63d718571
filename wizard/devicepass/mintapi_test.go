package devicepass

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

func TestMint_ReadsTheContractAndRefusesWhatItCannotUse(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		want    Minted
		refused bool
		err     string
	}{
		{"201", 201, `{"password":"pw","id":"a1","revoke_url":"https://r.example/a1"}`, Minted{Password: "pw", ID: "a1", RevokeURL: "https://r.example/a1"}, false, ""},
		{"200 without revoke_url", 200, `{"password":"pw","id":"a1"}`, Minted{Password: "pw", ID: "a1"}, false, ""},
		{"a revoke_url that is not a web link is dropped", 201, `{"password":"pw","id":"a1","revoke_url":"javascript:alert(1)"}`, Minted{Password: "pw", ID: "a1"}, false, ""},
		{"401", 401, `{}`, Minted{}, true, "answered 401"},
		{"403", 403, `{}`, Minted{}, true, "answered 403"},
		{"500", 500, `oops`, Minted{}, false, "answered 500"},
		{"no password", 201, `{"id":"a1"}`, Minted{}, false, "no password"},
		{"a line break in the password", 201, `{"password":"a\nb","id":"a1"}`, Minted{}, false, "control character"},
		{"no id", 201, `{"password":"pw"}`, Minted{}, false, "no usable id"},
		{"a password too long", 201, `{"password":"` + strings.Repeat("x", 513) + `","id":"a1"}`, Minted{}, false, "too long"},
		{"not JSON", 201, `<html>`, Minted{}, false, "not the documented JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got struct{ auth, ctype, body string }
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b := new(strings.Builder)
				_, _ = io.Copy(b, r.Body)
				got.auth, got.ctype, got.body = r.Header.Get("Authorization"), r.Header.Get("Content-Type"), b.String()
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			m, err := mint(context.Background(), srv.Client(), &autoconfig.Mint{API: srv.URL}, "tok", "jane@example.com", "Laptop")
			assert.Equal(t, "Bearer tok", got.auth)
			assert.Equal(t, "application/json", got.ctype)
			assert.JSONEq(t, `{"address":"jane@example.com","device":"Laptop"}`, got.body)
			if tt.err == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.want, m)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.err)
			assert.NotContains(t, err.Error(), "tok", "never the token")
			var ae *apiError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tt.refused, ae.refused)
		})
	}
}

func TestMint_APIDownIsAnAPIError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	_, err := mint(context.Background(), http.DefaultClient, &autoconfig.Mint{API: srv.URL}, "tok", "a@example.com", "d")
	var ae *apiError
	require.ErrorAs(t, err, &ae)
	assert.False(t, ae.refused)
}

func TestStore_SessionsExpireAndAreBounded(t *testing.T) {
	now := testkit.NewClock(time.Unix(1_800_000_000, 0))
	s := newStore(now.Now)
	id, ok := s.create(&session{})
	require.True(t, ok)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.AddCookie(&http.Cookie{Name: CookieName, Value: id})
	assert.Equal(t, sessionError(0), s.with(req, func(*session) {}))
	now.Advance(Lifetime)
	assert.Equal(t, expiredSession, s.with(req, func(*session) {}))
	assert.Equal(t, noSession, s.with(req, func(*session) {}), "an expired session is dropped")

	for range maxSessions {
		_, ok := s.create(&session{})
		require.True(t, ok)
	}
	_, ok = s.create(&session{})
	assert.False(t, ok, "full")
	now.Advance(Lifetime)
	_, ok = s.create(&session{})
	assert.True(t, ok, "expired sessions make room")
	assert.Equal(t, 1, s.len())
}

// A session is removed when its time is up even if its browser never
// comes back: the password it may hold does not outlive Lifetime.
func TestStore_TimerRemovesTheSession(t *testing.T) {
	s := newStore(time.Now)
	var fire func()
	var after time.Duration
	s.after = func(d time.Duration, f func()) func() bool {
		after, fire = d, f
		return func() bool { return true }
	}
	_, ok := s.create(&session{minted: &Minted{Password: "pw"}})
	require.True(t, ok)
	assert.Equal(t, Lifetime, after)
	assert.Equal(t, 1, s.len())
	fire()
	assert.Zero(t, s.len())
}
