package devicepass

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"unicode"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// Minted is the provider API's answer: a new device password.
type Minted struct {
	Password string `json:"password"`
	// ID is the provider's name for the password (shown to the user, who
	// finds it in the provider's list).
	ID string `json:"id"`
	// RevokeURL, when the provider gives one, is where the password is
	// revoked; else the provider's passwords.create_url is shown.
	RevokeURL string `json:"revoke_url,omitempty"`
}

// mintRequest is the body POSTed to the API.
type mintRequest struct {
	Address string `json:"address"`
	Device  string `json:"device"`
}

// maxMintAnswer bounds the API's answer: a password and two short strings.
const maxMintAnswer = 16 << 10

// maxPasswordLength bounds the password the API may return (bytes).
const maxPasswordLength = 512

// apiError is the API's refusal or failure, by what the user is told.
type apiError struct {
	refused   bool // 401/403: this sign-in may not make a password for that address
	forbidden bool // 403: the token's user may not manage that address
	detail    string
}

func (e *apiError) Error() string { return "device password API: " + e.detail }

// mint asks the provider's API for a device password. Its errors never
// contain the token or the answer's body.
func mint(ctx context.Context, client *http.Client, m *autoconfig.Mint, accessToken, address, device string) (Minted, error) {
	body, err := json.Marshal(mintRequest{Address: address, Device: device})
	if err != nil {
		return Minted{}, fmt.Errorf("encoding the request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.API, bytes.NewReader(body))
	if err != nil {
		return Minted{}, fmt.Errorf("device password API request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return Minted{}, &apiError{detail: "not reachable: " + err.Error()}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return Minted{}, &apiError{refused: true, forbidden: resp.StatusCode == http.StatusForbidden,
			detail: fmt.Sprintf("answered %d", resp.StatusCode)}
	case resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated:
		return Minted{}, &apiError{detail: fmt.Sprintf("answered %d", resp.StatusCode)}
	}
	var out Minted
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxMintAnswer))
	if err := dec.Decode(&out); err != nil {
		return Minted{}, &apiError{detail: "the answer is not the documented JSON"}
	}
	if msg := checkMinted(&out); msg != "" {
		return Minted{}, &apiError{detail: msg}
	}
	return out, nil
}

// checkMinted refuses an answer that cannot be put in a profile or a
// code, and drops a revoke_url that is not a web link.
func checkMinted(m *Minted) string {
	switch {
	case m.Password == "":
		return "the answer has no password"
	case len(m.Password) > maxPasswordLength:
		return "the password is too long"
	case !printable(m.Password):
		return "the password contains a control character"
	case m.ID == "" || len(m.ID) > 200 || !printable(m.ID):
		return "the answer has no usable id"
	}
	if u, err := url.Parse(m.RevokeURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		m.RevokeURL = ""
	}
	return ""
}

func printable(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == unicode.ReplacementChar {
			return false
		}
	}
	return true
}
