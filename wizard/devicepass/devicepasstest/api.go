package devicepasstest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// API implements the device password contract on loopback: it checks the
// bearer token at the provider's userinfo endpoint and makes a password
// only for the address the token's user has, or one Allow lets the user
// manage; any other address is answered 403.
type API struct {
	URL string
	// Password is what the next answer holds.
	Password  string
	RevokeURL string

	srv      *httptest.Server
	userinfo string
	mu       sync.Mutex
	calls    []Call
	down     bool
	// manages holds, by user (lower case), the other addresses the user
	// may manage.
	manages map[string][]string
}

// Call is one request the API received.
type Call struct {
	Address, Device string
}

// StartAPI serves the contract for the users of op.
func StartAPI(t testing.TB, op *OP, password string) *API {
	t.Helper()
	a := &API{Password: password, RevokeURL: "https://account.example.com/device-passwords"}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	a.URL = a.srv.URL + "/device-passwords"
	a.userinfo = op.Issuer + "/userinfo"
	return a
}

// Calls are the requests made so far.
func (a *API) Calls() []Call {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Call(nil), a.calls...)
}

// Allow lets user manage address besides their own, as an administrator
// or a family account.
func (a *API) Allow(user, address string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.manages == nil {
		a.manages = map[string][]string{}
	}
	user = strings.ToLower(user)
	a.manages[user] = append(a.manages[user], address)
}

// mayManage tells whether user may make passwords for address.
func (a *API) mayManage(user, address string) bool {
	if strings.EqualFold(user, address) {
		return true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, other := range a.manages[strings.ToLower(user)] {
		if strings.EqualFold(other, address) {
			return true
		}
	}
	return false
}

// Down makes the API answer 503, as a provider whose service is down.
func (a *API) Down(down bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.down = down
}

func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	down := a.down
	a.mu.Unlock()
	if down {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
		return
	}
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		http.Error(w, "POST application/json", http.StatusBadRequest)
		return
	}
	var req struct{ Address, Device string }
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Address == "" || req.Device == "" {
		http.Error(w, "address and device required", http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	a.calls = append(a.calls, Call{Address: req.Address, Device: req.Device})
	id := "dp-" + strings.Repeat("1", len(a.calls))
	a.mu.Unlock()
	email, ok := a.user(r.Header.Get("Authorization"))
	if !ok {
		http.Error(w, "invalid token", http.StatusUnauthorized)
		return
	}
	if !a.mayManage(email, req.Address) {
		http.Error(w, "not yours to manage", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]string{"password": a.Password, "id": id, "revoke_url": a.RevokeURL})
}

// user asks the provider whose token it is.
func (a *API) user(authorization string) (string, bool) {
	req, err := http.NewRequest(http.MethodGet, a.userinfo, nil)
	if err != nil || !strings.HasPrefix(authorization, "Bearer ") {
		return "", false
	}
	req.Header.Set("Authorization", authorization)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	var info struct {
		Email string `json:"email"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&info) != nil {
		return "", false
	}
	return info.Email, info.Email != ""
}
