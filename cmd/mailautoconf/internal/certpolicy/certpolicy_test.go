package certpolicy

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/dnstest"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// served stands for the configuration: listed.test listed, *.wild.test,
// customer.test and moved.test accepted by MX, anything else caught by
// catch_all, broken.test failing.
func served(_ context.Context, domain string) (Match, error) {
	switch domain {
	case "listed.test":
		return Listed, nil
	case "a.wild.test":
		return Wildcard, nil
	case "customer.test", "moved.test":
		return AcceptMX, nil
	case "broken.test":
		return NotServed, errors.New("lookup failed")
	}
	return CatchAll, nil
}

func testPolicy(t *testing.T) *Policy {
	srv := dnstest.Start(t, "../../../../testdata/dns/certificates.zone")
	return &Policy{Served: served, Pointer: NewPointer(srv.Addr), ServiceHost: func() string { return "mail-setup.provider.test" }}
}

func TestPolicy_Decide(t *testing.T) {
	p := testPolicy(t)
	for _, tc := range []struct {
		name     string
		catchAll bool
		want     Decision
	}{
		{"mail-setup.provider.test", false, Decision{true, ReasonServiceHost}},
		{"autoconfig.listed.test", false, Decision{true, ReasonListed}},
		{"AUTODISCOVER.Listed.Test.", false, Decision{true, ReasonListed}},
		{"autoconfig.customer.test", false, Decision{true, ReasonAcceptMX}},
		{"autodiscover.customer.test", false, Decision{true, ReasonAcceptMX}},
		{"ua-auto-config.customer.test", false, Decision{false, ReasonNotPointing}}, // not in DNS
		{"autoconfig.moved.test", false, Decision{false, ReasonNotPointing}},
		{"autoconfig.random.test", false, Decision{false, ReasonCatchAllOff}},
		{"autoconfig.random.test", true, Decision{true, ReasonCatchAll}},
		{"autoconfig.a.wild.test", false, Decision{false, ReasonNotPointing}},
		{"autoconfig.broken.test", false, Decision{false, ReasonLookupFailed}},
		{"www.listed.test", false, Decision{false, ReasonNotMailName}},
		{"listed.test", false, Decision{false, ReasonNotMailName}},
		{"autoconfig.", false, Decision{false, ReasonNotMailName}},
		{"autoconfig.test", false, Decision{false, ReasonNotMailName}},
		{"", false, Decision{false, ReasonNotMailName}},
		{"autoconfig.bad..test", false, Decision{false, ReasonNotMailName}},
	} {
		p.CatchAll = tc.catchAll
		assert.Equal(t, tc.want, p.Decide(context.Background(), tc.name), tc.name)
	}
}

func TestPolicy_NoServiceHostRefusesCustomerNames(t *testing.T) {
	p := testPolicy(t)
	p.ServiceHost = func() string { return "" }
	assert.Equal(t, Decision{false, ReasonNoServiceHost}, p.Decide(context.Background(), "autoconfig.listed.test"))
}

func TestHandler_AnswersAsTheDecision(t *testing.T) {
	gin.SetMode(gin.TestMode)
	p := testPolicy(t)
	var seen []Decision
	p.Observe = func(d Decision) { seen = append(seen, d) }
	e := gin.New()
	e.GET(AllowedPath, p.Handler())
	for target, want := range map[string]int{
		AllowedPath + "?domain=autoconfig.customer.test": http.StatusOK,
		AllowedPath + "?domain=autoconfig.random.test":   http.StatusForbidden,
		AllowedPath + "?domain=autoconfig.moved.test":    http.StatusForbidden,
		AllowedPath + "?domain=%3Cscript%3E":             http.StatusForbidden,
		AllowedPath:                                      http.StatusBadRequest,
	} {
		w := testkit.Get(e, target)
		assert.Equal(t, want, w.Code, target)
		assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
		assert.NotContains(t, w.Body.String(), "<", "nothing of the request is reflected")
	}
	require.Len(t, seen, 4)
}

func TestDecision_Error(t *testing.T) {
	assert.NoError(t, Decision{Allowed: true}.Error("x"))
	err := Decision{Reason: ReasonNotServed}.Error("autoconfig.x.test")
	assert.True(t, IsDenied(err))
	assert.EqualError(t, err, "no certificate for autoconfig.x.test: domain_not_served")
}
