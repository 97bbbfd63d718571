package dnscheck

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/mailautoconf/mailautoconf/autoconfig/pacc"
)

func TestPACCDigests_Status(t *testing.T) {
	current, old := []byte(`{"new":1}`), []byte(`{"old":1}`)
	until := time.Date(2026, 12, 13, 0, 0, 0, 0, time.UTC)
	d := newPACCDigests(current, []pacc.Generation{{Document: string(old), Digest: pacc.Digest(old), Until: until}})
	cur, prev := strconv.Quote(pacc.DigestRecord(current)), strconv.Quote(pacc.DigestRecord(old))
	stranger := strconv.Quote("v=UAAC1; a=sha256; d=AAAA")
	for name, tc := range map[string]struct {
		found  []string
		status CheckStatus
	}{
		"current":                {[]string{cur}, CheckOK},
		"current and previous":   {[]string{prev, cur}, CheckOK},
		"previous only":          {[]string{prev}, CheckPending},
		"matches nothing":        {[]string{stranger}, CheckWrong},
		"current and a stranger": {[]string{cur, stranger}, CheckWrong},
		"none":                   {nil, CheckMissing},
	} {
		status, detail := d.status(tc.found)
		assert.Equal(t, tc.status, status, name)
		if status == CheckPending {
			assert.Contains(t, detail, "valid until 2026-12-13 00:00 UTC", name)
		}
	}
	// Without a window, a previous digest matches nothing.
	status, _ := newPACCDigests(current, nil).status([]string{prev})
	assert.Equal(t, CheckWrong, status)
}
