// Package tbimporttest reads Thunderbird for Android import payloads as
// strictly as the app: for the tests of every package that draws them.
package tbimporttest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Account is an account as the app imports it.
type Account struct {
	IncomingProtocol, IncomingPort, IncomingSecurity, IncomingAuth int
	IncomingHost, IncomingUser                                     string
	SMTPHost, SMTPUser                                             string
	SMTPPort, SMTPSecurity, SMTPAuth                               int
	Email, Name                                                    string
	IncomingPassword, SMTPPassword                                 string
}

// Read is a reader written from the format's description (version 1):
// strict JSON types and positions, the values the app accepts, no null
// where it reads a string, no line breaks, ASCII hosts and address. It
// reads one account and its passwords when present.
func Read(payload []byte) (Account, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var root []any
	if err := dec.Decode(&root); err != nil {
		return Account{}, err
	}
	var a Account
	fail := func(f string, args ...any) (Account, error) { return Account{}, fmt.Errorf(f, args...) }
	if len(root) != 4 {
		return fail("root has %d elements, want 4 (one account)", len(root))
	}
	if v, ok := integer(root[0]); !ok || v != 1 {
		return fail("format version %v", root[0])
	}
	misc, ok := root[1].([]any)
	if !ok || len(misc) < 2 {
		return fail("miscellaneous data %v", root[1])
	}
	if n, ok := integer(misc[0]); !ok || n != 1 {
		return fail("sequence number %v", misc[0])
	}
	if n, ok := integer(misc[1]); !ok || n != 1 {
		return fail("sequence end %v", misc[1])
	}
	in, ok := root[2].([]any)
	if !ok || len(in) < 6 || len(in) > 8 {
		return fail("incoming server %v", root[2])
	}
	var err error
	if a.IncomingProtocol, err = enum(in[0], 0, 1); err != nil {
		return fail("incoming protocol: %v", err)
	}
	if a.IncomingHost, a.IncomingPort, a.IncomingSecurity, a.IncomingAuth, a.IncomingUser, err = serverFields(in); err != nil {
		return fail("incoming: %v", err)
	}
	for i := 6; i < len(in); i++ { // account name, password: strings if present
		if _, err := text(in[i]); err != nil {
			return fail("incoming optional %d: %v", i, err)
		}
	}
	if len(in) == 8 {
		a.IncomingPassword = in[7].(string)
	}
	groups, ok := root[3].([]any)
	if !ok || len(groups) != 1 {
		return fail("outgoing server groups %v", root[3])
	}
	group, ok := groups[0].([]any)
	if !ok || len(group) < 2 {
		return fail("outgoing server group %v", groups[0])
	}
	out, ok := group[0].([]any)
	if !ok || len(out) < 6 || len(out) > 7 {
		return fail("outgoing server %v", group[0])
	}
	if _, err := enum(out[0], 0, 0); err != nil {
		return fail("outgoing protocol: %v", err)
	}
	if a.SMTPHost, a.SMTPPort, a.SMTPSecurity, a.SMTPAuth, a.SMTPUser, err = serverFields(out); err != nil {
		return fail("outgoing: %v", err)
	}
	if len(out) == 7 {
		if a.SMTPPassword, err = text(out[6]); err != nil {
			return fail("outgoing password: %v", err)
		}
	}
	id, ok := group[1].([]any)
	if !ok || len(id) < 2 {
		return fail("identity %v", group[1])
	}
	if a.Email, err = text(id[0]); err != nil || !ascii(a.Email) || strings.Contains(a.Email, `"`) {
		return fail("identity address %q: %v", a.Email, err)
	}
	if a.Name, err = text(id[1]); err != nil {
		return fail("identity name: %v", err)
	}
	return a, nil
}

func serverFields(s []any) (host string, port, security, auth int, user string, err error) {
	if host, err = text(s[1]); err != nil || !ascii(host) || host == "" {
		return "", 0, 0, 0, "", fmt.Errorf("host %v", s[1])
	}
	if port, err = enum(s[2], 1, 65535); err != nil {
		return "", 0, 0, 0, "", fmt.Errorf("port: %v", err)
	}
	if security, err = enum(s[3], 0, 3); err != nil || security == 1 {
		return "", 0, 0, 0, "", fmt.Errorf("security %v", s[3])
	}
	if auth, err = enum(s[4], 0, 6); err != nil || auth == 3 || auth == 4 {
		return "", 0, 0, 0, "", fmt.Errorf("auth %v", s[4])
	}
	if user, err = text(s[5]); err != nil {
		return "", 0, 0, 0, "", fmt.Errorf("username: %v", err)
	}
	return host, port, security, auth, user, nil
}

func integer(v any) (int, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return int(i), err == nil
}

func enum(v any, lo, hi int) (int, error) {
	i, ok := integer(v)
	if !ok || i < lo || i > hi {
		return 0, fmt.Errorf("%v is not an integer from %d to %d", v, lo, hi)
	}
	return i, nil
}

func text(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%v is not a string", v)
	}
	if strings.ContainsAny(s, "\r\n\u0085\u2028\u2029") {
		return "", errors.New("line break")
	}
	return s, nil
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
