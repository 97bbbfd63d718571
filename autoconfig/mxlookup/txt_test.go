package mxlookup_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/dnstest"
	"github.com/mailautoconf/mailautoconf/autoconfig/mxlookup"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

const txtZone = `$ORIGIN test.
$TTL 600
@                              IN SOA ns.test. hostmaster.test. 1 7200 900 1209600 300
@                              IN NS  ns.test.
_ua-auto-config.customer  120  IN TXT "v=UAAC1; a=sha256; d=new"
_ua-auto-config.customer  120  IN TXT "v=UAAC1; " "a=sha256; d=old"
`

func TestLookupTXT_JoinsStringsAndCaches(t *testing.T) {
	path := filepath.Join(t.TempDir(), "txt.zone")
	require.NoError(t, os.WriteFile(path, []byte(txtZone), 0o644))
	srv := dnstest.Start(t, path)
	clock := testkit.NewClock(time.Unix(1_700_000_000, 0))
	r := mxlookup.New(srv.Addr, 10, nil)
	mxlookup.SetClock(r, clock.Now)
	ctx := context.Background()

	texts, err := r.LookupTXT(ctx, "_ua-auto-config.customer.test")
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"v=UAAC1; a=sha256; d=new", "v=UAAC1; a=sha256; d=old"}, texts)
	_, err = r.LookupTXT(ctx, "_ua-auto-config.customer.test")
	require.NoError(t, err)
	assert.Equal(t, uint64(1), r.Stats().Queries, "the second lookup is cached")

	clock.Advance(121 * time.Second)
	_, err = r.LookupTXT(ctx, "_ua-auto-config.customer.test")
	require.NoError(t, err)
	assert.Equal(t, uint64(2), r.Stats().Queries, "the cache follows the record TTL")

	texts, err = r.LookupTXT(ctx, "_ua-auto-config.nothing.test")
	require.NoError(t, err, "no such name: no records, no error")
	assert.Empty(t, texts)
}
